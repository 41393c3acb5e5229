package sim

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// DiagramOptions choose what a sequence diagram shows besides packets,
// deliveries and faults.
type DiagramOptions struct {
	Persist bool // show the session writes ("S holds id 1")
	Timers  bool // show timers firing
}

// participant letters, in the style of the question's answer ("C --- PUBLISH --> S").
var letters = map[string]string{
	"client": "C", "server": "S", "publisher": "P", "broker": "B", "subscriber": "U", "alice": "A", "carol": "C",
}

// Letter is the letter a diagram shows for a node; a node no layout names
// shows its name. The conformance transcripts and the explorer's traces
// use it too, so that every diagram names nodes alike.
func Letter(node string) string {
	if l, ok := letters[node]; ok {
		return l
	}
	return node
}

// participantOrder is the topologies' layouts seen left to right: clients
// left, the broker or server in the middle, subscribers right.
var participantOrder = []string{"client", "publisher", "alice", "broker", "server", "subscriber", "carol"}

// Participants lists the nodes named (in the order they appear; repeats
// and "" are ignored) in the order of the topologies' layouts; names no
// layout uses follow in the order they appear. The conformance transcripts
// place their columns with it too.
func Participants(names []string) []string {
	seen := map[string]bool{}
	var others []string
	for _, n := range names {
		if n != "" && !seen[n] {
			seen[n] = true
			if !slices.Contains(participantOrder, n) {
				others = append(others, n)
			}
		}
	}
	var ps []string
	for _, n := range participantOrder {
		if seen[n] {
			ps = append(ps, n)
		}
	}
	return append(ps, others...)
}

// participants lists the nodes of a trace as diagrams place them; the
// network is no participant.
func participants(t Trace) []string {
	var names []string
	for _, e := range t {
		for _, n := range [2]string{e.Node, e.Peer} {
			if n != "network" {
				names = append(names, n)
			}
		}
	}
	return Participants(names)
}

// fates maps a send id to what the network did with it.
func fates(t Trace) (lost map[int64]string, dup map[int64]bool) {
	lost, dup = map[int64]string{}, map[int64]bool{}
	for _, e := range t {
		switch e.Kind {
		case TLost:
			lost[e.ID] = e.Note
		case TDup:
			dup[e.ID] = true
		}
	}
	return lost, dup
}

// diagramLine is one row of a diagram: a packet arrow or a note.
type diagramLine struct {
	at       int64
	from, to string // arrow ends; empty for a note
	label    string
	note     string // text after the arrow, or the note itself
	over     []string
	fault    bool // draw across the whole width
	lostWhy  string
	dup      bool
}

func diagramLines(t Trace, opt DiagramOptions) []diagramLine {
	lost, dup := fates(t)
	var lines []diagramLine
	for _, e := range t {
		switch e.Kind {
		case TSend:
			l := diagramLine{at: e.At, from: e.Node, to: e.Peer, label: e.Packet.Label(), dup: dup[e.ID]}
			if why, ok := lost[e.ID]; ok {
				l.lostWhy = why
			}
			lines = append(lines, l)
		case TDeliver:
			lines = append(lines, diagramLine{at: e.At, over: []string{e.Node}, note: "deliver m" + strconv.FormatUint(uint64(e.Msg), 10)})
		case TComplete:
			lines = append(lines, diagramLine{at: e.At, over: []string{e.Node}, note: "complete m" + strconv.FormatUint(uint64(e.Msg), 10)})
		case TAbandon:
			lines = append(lines, diagramLine{at: e.At, over: []string{e.Node}, note: "abandon m" + strconv.FormatUint(uint64(e.Msg), 10) + ": " + e.Note})
		case TPersist:
			if opt.Persist {
				lines = append(lines, diagramLine{at: e.At, over: []string{e.Node}, note: "persist: " + e.Note})
			}
		case TTimer:
			if opt.Timers {
				lines = append(lines, diagramLine{at: e.At, over: []string{e.Node}, note: "timer " + e.Note})
			}
		case TBreak:
			lines = append(lines, diagramLine{at: e.At, over: []string{e.Node, e.Peer}, note: e.Note, fault: true})
		case TCrash:
			lines = append(lines, diagramLine{at: e.At, over: []string{e.Node}, note: e.Node + " crashes", fault: true})
		case TRestart:
			lines = append(lines, diagramLine{at: e.At, over: []string{e.Node}, note: e.Node + " restarts", fault: true})
		}
	}
	return lines
}

// WriteASCII draws the trace as a text sequence diagram in the style of the
// question's answer: one row per packet, sent left to right or right to
// left, "--x" where the network lost it, "x2" where it duplicated it.
func WriteASCII(w io.Writer, t Trace, opt DiagramOptions) error {
	ps := participants(t)
	lines := diagramLines(t, opt)
	width := 20
	for _, l := range lines {
		if l.from != "" && len(l.label)+10 > width {
			width = len(l.label) + 10
		}
	}
	col := map[string]int{}
	for i, p := range ps {
		col[p] = i * (width + 2)
	}
	total := (len(ps)-1)*(width+2) + 1
	var b strings.Builder
	head := []byte(strings.Repeat(" ", total+1))
	for _, p := range ps {
		copy(head[col[p]:], Letter(p))
	}
	legend := make([]string, len(ps))
	for i, p := range ps {
		legend[i] = Letter(p) + " = " + p
	}
	fmt.Fprintf(&b, "%6s  %s   (%s)\n", "t", strings.TrimRight(string(head), " "), strings.Join(legend, ", "))
	for _, l := range lines {
		row := []byte(strings.Repeat(" ", total))
		for _, p := range ps {
			row[col[p]] = '|'
		}
		suffix := ""
		switch {
		case l.from != "":
			a, z := col[l.from], col[l.to]
			row[a], row[z] = Letter(l.from)[0], Letter(l.to)[0]
			copy(row[min(a, z)+1:], Arrow(l.label, abs(z-a)-1, z < a, l.lostWhy != ""))
			if l.lostWhy != "" {
				suffix = "lost: " + l.lostWhy
			}
			if l.dup {
				suffix = strings.TrimSpace(suffix + " duplicated by the network")
			}
		case l.fault && len(l.over) == 2:
			a, z := col[l.over[0]], col[l.over[1]]
			lo, hi := min(a, z), max(a, z)
			for i := lo + 1; i < hi; i++ {
				row[i] = '~'
			}
			suffix = l.note
		default:
			c := col[l.over[0]]
			row[c] = Letter(l.over[0])[0]
			if l.fault {
				row[c] = '*'
			}
			suffix = l.note
		}
		line := strings.TrimRight(string(row), " ")
		if suffix != "" {
			line = string(row) + "  " + suffix
		}
		fmt.Fprintf(&b, "%6d  %s\n", l.at, line)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Arrow draws "--- LABEL --->" in n cells, pointing left when left is set;
// a lost packet ends in "x" short of its target. The explorer's diagrams use
// it too, so that both draw packets alike.
func Arrow(label string, n int, left, lost bool) []byte {
	body := []byte(" " + strings.Repeat("-", n-2) + " ")
	start := (n - len(label) - 2) / 2
	if start < 2 {
		start = 2
	}
	copy(body[start:], " "+label+" ")
	head := byte('>')
	if left {
		head = '<'
	}
	if lost {
		head = 'x'
	}
	if left {
		body[1] = head
	} else {
		body[n-2] = head
	}
	return body
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// WriteMermaid writes the trace as a Mermaid sequenceDiagram, which renders
// in markdown viewers. Lost packets end in a cross.
func WriteMermaid(w io.Writer, t Trace, opt DiagramOptions) error {
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	for _, p := range participants(t) {
		fmt.Fprintf(&b, "    participant %s as %s\n", Letter(p), p)
	}
	for _, l := range diagramLines(t, opt) {
		at := "t=" + strconv.FormatInt(l.at, 10) + " "
		switch {
		case l.from != "":
			op := "->>"
			text := l.label
			if l.lostWhy != "" {
				op = "-x"
				text += " (lost: " + l.lostWhy + ")"
			}
			if l.dup {
				text += " (duplicated)"
			}
			fmt.Fprintf(&b, "    %s%s%s: %s\n", Letter(l.from), op, Letter(l.to), MermaidText(at+text))
		default:
			over := Letter(l.over[0])
			if len(l.over) == 2 {
				over += "," + Letter(l.over[1])
			}
			fmt.Fprintf(&b, "    Note over %s: %s\n", over, MermaidText(at+l.note))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// MermaidText keeps characters Mermaid reads as syntax out of a message;
// the conformance transcripts and the explorer's traces use it too.
func MermaidText(s string) string {
	return strings.NewReplacer(";", ",", "#", "no.", "\"", "'").Replace(s)
}
