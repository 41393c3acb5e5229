package conformance

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/sim"
)

// Transcript is what happened in a run, one line per step: the frames in
// the order the lockstep released them, the faults, and what the clients'
// applications saw. Times are the lockstep's virtual ticks.
type Transcript []Line

// LineKind says what a transcript line shows.
type LineKind uint8

const (
	LineArrow LineKind = iota + 1 // a frame went From -> To
	LineLost                      // a frame From -> To was lost in flight
	LineNote                      // something at the nodes Over
	LineFault                     // a fault across Over
)

var lineKinds = [...]string{"", "frame", "lost", "note", "fault"}

// MarshalText writes the kind's name.
func (k LineKind) MarshalText() ([]byte, error) { return []byte(lineKinds[k]), nil }

// UnmarshalText reads a kind's name.
func (k *LineKind) UnmarshalText(b []byte) error {
	for i, n := range lineKinds {
		if n != "" && n == string(b) {
			*k = LineKind(i)
			return nil
		}
	}
	return fmt.Errorf("line kind %q: allowed values are %s", b, strings.Join(lineKinds[1:], ", "))
}

// Line is one step of a transcript.
type Line struct {
	At    int64    `json:"t"`
	Kind  LineKind `json:"kind"`
	From  string   `json:"from,omitempty"`
	To    string   `json:"to,omitempty"`
	Over  []string `json:"over,omitempty"`
	Label string   `json:"packet,omitempty"`
	Note  string   `json:"note,omitempty"`
	// Conn is, in a real transcript, the number (1-based, per client) of
	// the TCP connection a frame, a break or a connection line belongs to.
	Conn int `json:"conn,omitempty"`
	// Marks are the numbers (1-based, in Result.Divergences) of the
	// divergences this line shows.
	Marks []int         `json:"marks,omitempty"`
	Divs  []*Divergence `json:"-"`
}

// String is the line's canonical one-line form, for golden files.
func (l Line) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6d ", l.At)
	switch l.Kind {
	case LineArrow, LineLost:
		b.WriteString(l.From + " -> " + l.To + " " + l.Label)
		if l.Kind == LineLost {
			b.WriteString(" (" + l.Note + ")")
		}
	default:
		b.WriteString(strings.Join(l.Over, ",") + ": " + l.Note)
	}
	for _, m := range l.Marks {
		b.WriteString(" [!" + strconv.Itoa(m) + "]")
	}
	return b.String()
}

// String writes one line per step.
func (t Transcript) String() string {
	var b strings.Builder
	for _, l := range t {
		b.WriteString(l.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// participants lists a transcript's nodes as the simulator's diagrams
// place them, broker in the middle.
func (t Transcript) participants() []string {
	var names []string
	for _, l := range t {
		names = append(names, l.From, l.To)
		names = append(names, l.Over...)
	}
	return sim.Participants(names)
}

// ASCII draws the transcript as a text sequence diagram in the
// simulator's style; a line that shows a divergence ends in [!N].
func (t Transcript) ASCII() []string {
	ps := t.participants()
	if len(ps) == 0 {
		return nil
	}
	width := 20
	for _, l := range t {
		if (l.Kind == LineArrow || l.Kind == LineLost) && len(l.Label)+10 > width {
			width = len(l.Label) + 10
		}
	}
	col := map[string]int{}
	for i, p := range ps {
		col[p] = i * (width + 2)
	}
	total := (len(ps)-1)*(width+2) + 1
	head := []byte(strings.Repeat(" ", total))
	legend := make([]string, len(ps))
	for i, p := range ps {
		copy(head[col[p]:], sim.Letter(p))
		legend[i] = sim.Letter(p) + " = " + p
	}
	out := []string{fmt.Sprintf("%6s  %s   (%s)", "t", strings.TrimRight(string(head), " "), strings.Join(legend, ", "))}
	for _, l := range t {
		row := []byte(strings.Repeat(" ", total))
		for _, p := range ps {
			row[col[p]] = '|'
		}
		suffix := l.Note
		switch l.Kind {
		case LineArrow, LineLost:
			a, z := col[l.From], col[l.To]
			row[a], row[z] = sim.Letter(l.From)[0], sim.Letter(l.To)[0]
			copy(row[min(a, z)+1:], sim.Arrow(l.Label, max(a, z)-min(a, z)-1, z < a, l.Kind == LineLost))
		case LineFault:
			lo, hi := total, 0
			for _, o := range l.Over {
				lo, hi = min(lo, col[o]), max(hi, col[o])
			}
			for i := lo + 1; i < hi; i++ {
				row[i] = '~'
			}
		default:
			c := col[l.Over[0]]
			row[c] = sim.Letter(l.Over[0])[0]
		}
		for _, m := range l.Marks {
			suffix = strings.TrimSpace(suffix + " [!" + strconv.Itoa(m) + "]")
		}
		line := strings.TrimRight(string(row), " ")
		if suffix != "" {
			line = string(row) + "  " + suffix
		}
		out = append(out, fmt.Sprintf("%6d  %s", l.At, line))
	}
	return out
}

// WriteASCII writes the ASCII diagram.
func (t Transcript) WriteASCII(w io.Writer) error {
	_, err := io.WriteString(w, strings.Join(t.ASCII(), "\n")+"\n")
	return err
}

// WriteMermaid writes the transcript as a Mermaid sequenceDiagram;
// divergences are notes in red boxes.
func (t Transcript) WriteMermaid(w io.Writer) error {
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	for _, p := range t.participants() {
		fmt.Fprintf(&b, "    participant %s as %s\n", sim.Letter(p), p)
	}
	for _, l := range t {
		at := "t=" + strconv.FormatInt(l.At, 10) + " "
		switch l.Kind {
		case LineArrow:
			fmt.Fprintf(&b, "    %s->>%s: %s\n", sim.Letter(l.From), sim.Letter(l.To), sim.MermaidText(at+l.Label))
		case LineLost:
			fmt.Fprintf(&b, "    %s-x%s: %s\n", sim.Letter(l.From), sim.Letter(l.To), sim.MermaidText(at+l.Label+" ("+l.Note+")"))
		default:
			over := make([]string, len(l.Over))
			for i, o := range l.Over {
				over[i] = sim.Letter(o)
			}
			if len(over) > 2 {
				over = []string{over[0], over[len(over)-1]}
			}
			fmt.Fprintf(&b, "    Note over %s: %s\n", strings.Join(over, ","), sim.MermaidText(at+l.Note))
		}
		for _, d := range l.Divs {
			fmt.Fprintf(&b, "    rect rgb(255, 220, 220)\n    Note over %s: %s\n    end\n", sim.Letter(d.Node), sim.MermaidText("! "+d.Class.String()+": "+d.Did))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// SideBySide puts two diagrams in columns: the real run on the left, the
// model's on the right.
func SideBySide(left, right []string, leftTitle, rightTitle string) []string {
	w := len(leftTitle)
	for _, l := range left {
		w = max(w, len(l))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", w-len(s)) }
	out := []string{pad(leftTitle) + " | " + rightTitle}
	for i := 0; i < max(len(left), len(right)); i++ {
		var l, r string
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		out = append(out, strings.TrimRight(pad(l)+" | "+r, " "))
	}
	return out
}

// FromTrace turns a simulator trace into a transcript, showing what the
// real transcripts show: frames (lost ones too), breaks, connections, and
// what the clients' applications saw. Events[i] is the index in tr of the
// event line i shows.
func FromTrace(tr sim.Trace) (t Transcript, events []int) {
	lost := map[int64]string{}
	for _, e := range tr {
		if e.Kind == sim.TLost {
			lost[e.ID] = e.Note
		}
	}
	for i, e := range tr {
		n := len(t)
		switch e.Kind {
		case sim.TSend:
			l := Line{At: e.At, Kind: LineArrow, From: e.Node, To: e.Peer, Label: e.Packet.Label()}
			if why, ok := lost[e.ID]; ok {
				l.Kind, l.Note = LineLost, "lost: "+why
			}
			t = append(t, l)
		case sim.TDeliver:
			if e.Node != "broker" {
				t = append(t, Line{At: e.At, Kind: LineNote, Over: []string{e.Node}, Note: "deliver m" + utoa(e.Msg)})
			}
		case sim.TComplete:
			if e.Node == "broker" {
				continue // the broker's forwarding flow: not an application's
			}
			t = append(t, Line{At: e.At, Kind: LineNote, Over: []string{e.Node}, Note: "publish m" + utoa(e.Msg) + " completed"})
		case sim.TAbandon:
			if e.Node == "broker" {
				continue
			}
			t = append(t, Line{At: e.At, Kind: LineNote, Over: []string{e.Node}, Note: "publish m" + utoa(e.Msg) + " failed: " + e.Note})
		case sim.TBreak:
			t = append(t, Line{At: e.At, Kind: LineFault, Over: []string{e.Node, e.Peer}, Note: e.Note})
		case sim.TConnect:
			t = append(t, Line{At: e.At, Kind: LineNote, Over: []string{e.Node, e.Peer}, Note: "connection up"})
		}
		if len(t) > n {
			events = append(events, i)
		}
	}
	return t, events
}
