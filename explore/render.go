package explore

import (
	"fmt"
	"io"
	"strings"

	"github.com/qoslab/qoslab/sim"
)

// WriteTrace draws a violation's path as a text sequence diagram: one row
// per step, a packet as an arrow at the step that delivers it (or loses
// it: "x"), other moves as notes; what the step caused follows the row.
func WriteTrace(w io.Writer, v *Violation) error {
	const width = 38
	var b strings.Builder
	fmt.Fprintf(&b, "%4s  C%sS   (C = client, sender; S = server, receiver)\n", "step", strings.Repeat(" ", width))
	for _, s := range v.Steps {
		row := []byte("|" + strings.Repeat(" ", width) + "|")
		switch {
		case s.Label != "":
			left := s.From == "server"
			row[0], row[width+1] = 'C', 'S'
			copy(row[1:], sim.Arrow(s.Label, width, left, s.Lost))
		case s.Move == "break":
			for i := 1; i <= width; i++ {
				row[i] = '~'
			}
		default:
			c := 0
			if s.From == "server" {
				c = width + 1
			}
			row[c] = 'C'
			if c > 0 {
				row[c] = 'S'
			}
			if s.Fault {
				row[c] = '*'
			}
		}
		text := s.Move
		if s.Label != "" {
			text = ""
			if strings.HasPrefix(s.Move, "lose") {
				text = "lost by the network"
			}
		}
		notes := s.Notes
		if text != "" {
			notes = append([]string{text}, notes...)
		}
		line := string(row)
		if len(notes) > 0 {
			line += "  " + strings.Join(notes, "; ")
		}
		fmt.Fprintf(&b, "%4d  %s\n", s.N, strings.TrimRight(line, " "))
	}
	fmt.Fprintf(&b, "      => %s\n", v)
	for _, p := range v.Pending {
		fmt.Fprintf(&b, "         pending: %s\n", p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMermaid writes a violation's path as a Mermaid sequenceDiagram.
func WriteMermaid(w io.Writer, v *Violation) error {
	var b strings.Builder
	b.WriteString("sequenceDiagram\n    participant C as client\n    participant S as server\n")
	letter := map[string]string{"client": "C", "server": "S", "": "C"}
	for _, s := range v.Steps {
		text := fmt.Sprintf("%d. %s", s.N, s.Move)
		if len(s.Notes) > 0 {
			text += " / " + strings.Join(s.Notes, ", ")
		}
		text = strings.NewReplacer(";", ",", "#", "no.", "\"", "'").Replace(text)
		switch {
		case s.Label != "":
			op := "->>"
			if s.Lost {
				op = "-x"
			}
			fmt.Fprintf(&b, "    %s%s%s: %s\n", letter[s.From], op, letter[s.To], text)
		case s.Move == "break" || strings.HasPrefix(s.Move, "network duplicates"):
			fmt.Fprintf(&b, "    Note over C,S: %s\n", text)
		default:
			fmt.Fprintf(&b, "    Note over %s: %s\n", letter[s.From], text)
		}
	}
	fmt.Fprintf(&b, "    Note over C,S: %s\n", v)
	_, err := io.WriteString(w, b.String())
	return err
}
