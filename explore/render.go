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
// The columns are the topology's nodes.
func WriteTrace(w io.Writer, v *Violation) error {
	const width = 38
	nodes := v.nodes()
	col := map[string]int{}
	for i, n := range nodes {
		col[n] = i * (width + 1)
	}
	total := (len(nodes)-1)*(width+1) + 1
	var b strings.Builder
	head := []byte(strings.Repeat(" ", total))
	for i, n := range nodes {
		head[col[n]] = letter(nodes, i)
	}
	fmt.Fprintf(&b, "%4s  %s   (%s)\n", "step", head, legend(nodes))
	for _, s := range v.Steps {
		row := []byte(strings.Repeat(" ", total))
		for _, n := range nodes {
			row[col[n]] = '|'
		}
		switch {
		case s.Label != "" && s.To != "":
			a, z := col[s.From], col[s.To]
			row[a], row[z] = letterOf(nodes, s.From), letterOf(nodes, s.To)
			copy(row[min(a, z)+1:], sim.Arrow(s.Label, abs(z-a)-1, z < a, s.Lost))
		case strings.HasPrefix(s.Move, "break"):
			a, z := col[s.From], col[s.To]
			for i := min(a, z) + 1; i < max(a, z); i++ {
				row[i] = '~'
			}
		default:
			c := col[s.From]
			row[c] = letterOf(nodes, s.From)
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

// letter is the simulator's letter for node i; a node without one shows
// its name's first letter, upper-cased, as a column head has one cell.
func letter(nodes []string, i int) byte {
	return strings.ToUpper(sim.Letter(nodes[i]))[0]
}

func letterOf(nodes []string, name string) byte {
	for i, n := range nodes {
		if n == name {
			return letter(nodes, i)
		}
	}
	return '?'
}

// legend says which letter is which node; the question's two parties with
// their parts.
func legend(nodes []string) string {
	if len(nodes) == 2 && nodes[0] == "client" && nodes[1] == "server" {
		return "C = client, sender; S = server, receiver"
	}
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = string(letter(nodes, i)) + " = " + n
	}
	return strings.Join(parts, "; ")
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// WriteMermaid writes a violation's path as a Mermaid sequenceDiagram.
func WriteMermaid(w io.Writer, v *Violation) error {
	nodes := v.nodes()
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	for i, n := range nodes {
		fmt.Fprintf(&b, "    participant %c as %s\n", letter(nodes, i), n)
	}
	all := string(letter(nodes, 0)) + "," + string(letter(nodes, len(nodes)-1))
	for _, s := range v.Steps {
		text := fmt.Sprintf("%d. %s", s.N, s.Move)
		if len(s.Notes) > 0 {
			text += " / " + strings.Join(s.Notes, ", ")
		}
		text = sim.MermaidText(text)
		switch {
		case s.Label != "" && s.To != "":
			op := "->>"
			if s.Lost {
				op = "-x"
			}
			fmt.Fprintf(&b, "    %c%s%c: %s\n", letterOf(nodes, s.From), op, letterOf(nodes, s.To), text)
		case strings.HasPrefix(s.Move, "break"):
			fmt.Fprintf(&b, "    Note over %c,%c: %s\n", letterOf(nodes, s.From), letterOf(nodes, s.To), text)
		case strings.HasPrefix(s.Move, "network duplicates"):
			fmt.Fprintf(&b, "    Note over %s: %s\n", all, text)
		default:
			fmt.Fprintf(&b, "    Note over %c: %s\n", letterOf(nodes, s.From), text)
		}
	}
	fmt.Fprintf(&b, "    Note over %s: %s\n", all, v)
	_, err := io.WriteString(w, b.String())
	return err
}
