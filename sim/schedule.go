package sim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/model"
)

// Action is what a fault does.
type Action uint8

const (
	Lose  Action = iota + 1 // the matched packet never arrives (datagram)
	Dup                     // the matched packet arrives once more (datagram): a copy Ticks later than the original; each dup fault makes a copy
	Delay                   // the matched packet arrives Ticks later than it would
	Break                   // the connection breaks: everything in flight is lost (stream)
	Crash                   // a node crashes; it restarts after Ticks (0: the network's restart delay)
)

var actionNames = [...]string{"", "lose", "dup", "delay", "break", "crash"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "action" + strconv.Itoa(int(a))
}

// When says at which moment a Break or Crash happens.
type When uint8

const (
	AfterSend When = iota + 1 // right after the matched packet is put on the wire: it is in flight
	AfterRecv                 // right after the matched packet was processed: its answer is in flight
	AtTime                    // at virtual time At
)

var whenNames = [...]string{"", "after-send", "after-recv", "at"}

func (w When) String() string {
	if int(w) < len(whenNames) {
		return whenNames[w]
	}
	return "when" + strconv.Itoa(int(w))
}

// Fault is one entry of a schedule. Packets are matched by type and
// occurrence: PUBREC#2 is the second PUBREC put on the wire in the run
// (or, with AfterRecv, the second one processed by its receiver); with On,
// the second on that client's connection ("PUBREC#2 on subscriber"). Where
// a topology has several connections, the count of one connection is what
// a schedule derived from one connection's story (an explorer path) can
// name: another connection's traffic does not shift it.
type Fault struct {
	Action Action
	Node   string           // Crash: the node's name (client, server, publisher, broker, subscriber)
	On     string           // the client whose connection the packet count (or a timed break) is on; "" counts every connection (a timed break: the first)
	When   When             // Break, Crash; packet faults always match at send
	Type   model.PacketType // the packet matched
	N      int              // its occurrence, from 1
	At     int64            // AtTime
	Ticks  int64            // Delay: extra ticks; Dup: the copy's extra ticks; Break: reconnect delay; Crash: restart delay (0: network default)
}

// Schedule is an explicit list of faults: printable, parseable, shrinkable.
type Schedule []Fault

// String is the canonical text form: one fault per line, parseable by
// ParseSchedule.
func (s Schedule) String() string {
	parts := make([]string, len(s))
	for i, f := range s {
		parts[i] = f.String()
	}
	return strings.Join(parts, "; ")
}

func (f Fault) packet() string { return f.Type.String() + "#" + strconv.Itoa(f.N) + f.on() }

func (f Fault) on() string {
	if f.On == "" {
		return ""
	}
	return " on " + f.On
}

// String is the canonical one-line form of a fault, for example
// "break after-send PUBREC#1" or "crash server at 40 restart +100".
func (f Fault) String() string {
	var b strings.Builder
	b.WriteString(f.Action.String())
	switch f.Action {
	case Lose:
		b.WriteString(" " + f.packet())
	case Dup:
		b.WriteString(" " + f.packet())
		if f.Ticks > 0 {
			b.WriteString(" +" + strconv.FormatInt(f.Ticks, 10))
		}
	case Delay:
		b.WriteString(" " + f.packet() + " +" + strconv.FormatInt(f.Ticks, 10))
	case Break, Crash:
		if f.Action == Crash {
			b.WriteString(" " + f.Node)
		}
		if f.When == AtTime {
			b.WriteString(" at " + strconv.FormatInt(f.At, 10) + f.on())
		} else {
			b.WriteString(" " + f.When.String() + " " + f.packet())
		}
		if f.Ticks > 0 {
			word := " reconnect +"
			if f.Action == Crash {
				word = " restart +"
			}
			b.WriteString(word + strconv.FormatInt(f.Ticks, 10))
		}
	}
	return b.String()
}

const scheduleGrammar = `a fault is one of: "lose TYPE#N", "dup TYPE#N [+TICKS]", "delay TYPE#N +TICKS", ` +
	`"break (after-send|after-recv) TYPE#N [reconnect +TICKS]", "break at TICK [reconnect +TICKS]", ` +
	`"crash NODE (after-send|after-recv) TYPE#N [restart +TICKS]", "crash NODE at TICK [restart +TICKS]"; ` +
	`TYPE#N (or a break's TICK) may be followed by "on CLIENT" to count on that client's connection only; ` +
	`faults are separated by ";" or new lines`

// ParseSchedule reads the text form written by Schedule.String. Blank
// entries and "#" comments are ignored.
func ParseSchedule(text string) (Schedule, error) {
	var s Schedule
	text = strings.ReplaceAll(text, "\n", ";")
	for i, part := range strings.Split(text, ";") {
		if j := strings.Index(part, "//"); j >= 0 {
			part = part[:j]
		}
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f, err := parseFault(part)
		if err != nil {
			return nil, fmt.Errorf("fault %d %q: %v; %s", i+1, part, err, scheduleGrammar)
		}
		s = append(s, f)
	}
	return s, nil
}

func parseFault(text string) (Fault, error) {
	w := strings.Fields(text)
	var f Fault
	// "on CLIENT" follows the packet (or a timed break's tick): take it out,
	// and the rest reads as without it.
	for i := 2; i < len(w); i++ {
		if w[i] != "on" {
			continue
		}
		if i+1 == len(w) || !(strings.Contains(w[i-1], "#") || w[i-2] == "at") {
			return f, fmt.Errorf(`"on" must follow TYPE#N or "at TICK" and name a client`)
		}
		f.On = w[i+1]
		w = append(w[:i:i], w[i+2:]...)
		break
	}
	switch w[0] {
	case "lose", "dup", "delay":
		f.Action = map[string]Action{"lose": Lose, "dup": Dup, "delay": Delay}[w[0]]
		want := 2
		if f.Action == Delay || (f.Action == Dup && len(w) == 3) {
			want = 3 // a dup may say how much later its copy arrives
		}
		if len(w) != want {
			return f, fmt.Errorf("%s takes %d word(s) after it", w[0], want-1)
		}
		if err := f.parsePacket(w[1]); err != nil {
			return f, err
		}
		if want == 3 {
			t, err := parsePlus(w[2])
			if err != nil {
				return f, err
			}
			f.Ticks = t
		}
		return f, nil
	case "break", "crash":
		f.Action = Break
		rest := w[1:]
		if w[0] == "crash" {
			f.Action = Crash
			if len(rest) == 0 {
				return f, fmt.Errorf("crash needs a node name")
			}
			f.Node, rest = rest[0], rest[1:]
		}
		if len(rest) < 2 {
			return f, fmt.Errorf("%s needs a moment: after-send TYPE#N, after-recv TYPE#N or at TICK", w[0])
		}
		switch rest[0] {
		case "after-send", "after-recv":
			f.When = AfterSend
			if rest[0] == "after-recv" {
				f.When = AfterRecv
			}
			if err := f.parsePacket(rest[1]); err != nil {
				return f, err
			}
		case "at":
			f.When = AtTime
			t, err := strconv.ParseInt(rest[1], 10, 64)
			if err != nil || t < 0 || t > MaxFaultTicks {
				return f, fmt.Errorf("time %q: want a whole number of ticks 0..%d", rest[1], MaxFaultTicks)
			}
			f.At = t
		default:
			return f, fmt.Errorf("moment %q: allowed values are after-send, after-recv, at", rest[0])
		}
		rest = rest[2:]
		if len(rest) == 0 {
			return f, nil
		}
		word := "reconnect"
		if f.Action == Crash {
			word = "restart"
		}
		if len(rest) != 2 || rest[0] != word {
			return f, fmt.Errorf("unexpected %q: only %q +TICKS may follow", strings.Join(rest, " "), word)
		}
		t, err := parsePlus(rest[1])
		if err != nil {
			return f, err
		}
		f.Ticks = t
		return f, nil
	}
	return f, fmt.Errorf("unknown action %q: allowed values are lose, dup, delay, break, crash", w[0])
}

func (f *Fault) parsePacket(s string) error {
	name, num, ok := strings.Cut(s, "#")
	if !ok {
		return fmt.Errorf("packet %q: want TYPE#N, for example PUBREC#1", s)
	}
	t, ok := model.ParsePacketType(name)
	if !ok {
		return fmt.Errorf("packet type %q: allowed values are CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP", name)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 {
		return fmt.Errorf("occurrence %q in %q: want a whole number >= 1", num, s)
	}
	f.Type, f.N = t, n
	return nil
}

func parsePlus(s string) (int64, error) {
	t, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
	if err != nil || t <= 0 || t > MaxFaultTicks || !strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("duration %q: want +TICKS with TICKS a whole number 1..%d", s, MaxFaultTicks)
	}
	return t, nil
}

// MaxFaultTicks bounds the times and durations of a schedule's faults, so
// that adding them to the clock cannot overflow (a delay of 2^63-1 ticks
// used to wrap around and arrive at once).
const MaxFaultTicks = 1_000_000_000

// spanTicks is how far the schedule's own times and durations can push
// the end of a run: a run's horizon makes room for all of them, so that a
// delayed packet is not cut off and reported as lost.
func (s Schedule) spanTicks() int64 {
	var span int64
	for _, f := range s {
		span += min(max(f.At, 0), MaxFaultTicks) + min(max(f.Ticks, 0), MaxFaultTicks)
	}
	return span
}

// MarshalText writes the canonical text form, so JSON holds the schedule as
// one readable string.
func (s Schedule) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses the canonical text form.
func (s *Schedule) UnmarshalText(b []byte) error {
	v, err := ParseSchedule(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
