package sim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/model"
)

// TraceKind classifies a trace entry.
type TraceKind uint8

const (
	TSend     TraceKind = iota + 1 // Node put Packet on the wire to Peer
	TRecv                          // Packet reached Node and was processed
	TLost                          // the packet of send ID never arrives; Note says why
	TDup                           // the network duplicated the packet of send ID
	TDeliver                       // Node handed message Msg to its application
	TComplete                      // Node's flow for Msg completed
	TAbandon                       // Node gave up on Msg; Note says why
	TPersist                       // Node wrote Note to its session state
	TTimer                         // a timer of Node fired; Note names it
	TBreak                         // the connection between Node and Peer broke
	TConnect                       // the transport between Node and Peer is up
	TCrash                         // Node crashed
	TRestart                       // Node restarted
	THeal                          // random faults stop
)

var traceNames = [...]string{"", "send", "recv", "lost", "dup", "deliver", "complete", "abandon",
	"persist", "timer", "break", "connect", "crash", "restart", "heal"}

func (k TraceKind) String() string {
	if int(k) < len(traceNames) {
		return traceNames[k]
	}
	return "kind" + strconv.Itoa(int(k))
}

// MarshalText writes the kind's name.
func (k TraceKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *TraceKind) UnmarshalText(b []byte) error {
	for i, n := range traceNames {
		if n != "" && n == string(b) {
			*k = TraceKind(i)
			return nil
		}
	}
	return fmt.Errorf("trace kind %q unknown", b)
}

// TraceEvent is one line of a run's history, recorded at the network and
// application boundary where properties read it.
type TraceEvent struct {
	At     int64         `json:"t"`
	Kind   TraceKind     `json:"kind"`
	Node   string        `json:"node"`
	Peer   string        `json:"peer,omitempty"`
	ID     int64         `json:"send,omitempty"` // the send this entry is about (TSend, TRecv, TLost, TDup)
	Packet *model.Packet `json:"packet,omitempty"`
	Msg    uint32        `json:"msg,omitempty"`
	Note   string        `json:"note,omitempty"`
}

// String is the canonical one-line form, for golden files and diffs, such as
// "    20 server   recv    PUBLISH id=1 q2 ...".
func (e TraceEvent) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6d %-10s %-8s", e.At, e.Node, e.Kind)
	if e.Packet != nil {
		b.WriteString(" " + e.Packet.String())
	}
	if e.Peer != "" && e.Packet != nil {
		arrow := " -> "
		if e.Kind == TRecv {
			arrow = " <- "
		}
		b.WriteString(arrow + e.Peer)
	} else if e.Peer != "" {
		b.WriteString(" " + e.Peer)
	}
	if e.Msg != 0 && e.Packet == nil {
		b.WriteString(" m" + strconv.FormatUint(uint64(e.Msg), 10))
	}
	if e.Note != "" {
		b.WriteString(" (" + e.Note + ")")
	}
	return strings.TrimRight(b.String(), " ")
}

// Trace is the history of a run.
type Trace []TraceEvent

// String writes one event per line.
func (t Trace) String() string {
	var b strings.Builder
	for _, e := range t {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}
