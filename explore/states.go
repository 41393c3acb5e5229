package explore

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/model"
)

// StateNamer is an optional interface for endpoints: the name of the
// protocol state, for the state machines the explorer draws. Endpoints
// without it are named from their Pending lines with ids and message refs
// taken out.
type StateNamer interface {
	StateName() string
}

// projection collects, per node, the abstract transitions its endpoint
// took.
type projection struct {
	edges  []map[edge]bool
	states []map[string]bool
	init   []string
	roles  []string
}

type edge struct{ From, Label, To string }

func newProjection(nodes int) *projection {
	p := &projection{edges: make([]map[edge]bool, nodes), states: make([]map[string]bool, nodes), init: make([]string, nodes)}
	for n := range nodes {
		p.edges[n], p.states[n] = map[edge]bool{}, map[string]bool{}
	}
	return p
}

var (
	refs  = regexp.MustCompile(`(under )?\bid \d+\b|\bm\d+\b|^\d+ `)
	empty = regexp.MustCompile(`\(\s*\)`)
)

// stateName abstracts an endpoint's state: its pending business with
// packet ids and message numbers removed, each kind once, sorted.
func stateName(e model.Endpoint) string {
	if n, ok := e.(StateNamer); ok {
		return n.StateName()
	}
	lines := e.Pending(nil)
	seen := map[string]bool{}
	var parts []string
	for _, l := range lines {
		l = strings.Join(strings.Fields(empty.ReplaceAllString(refs.ReplaceAllString(l, ""), "")), " ")
		if !seen[l] {
			seen[l] = true
			parts = append(parts, l)
		}
	}
	if len(parts) == 0 {
		return "idle"
	}
	sort.Strings(parts)
	return strings.Join(parts, " + ")
}

func inputLabel(in model.Input) string {
	switch in.Kind {
	case model.InPacket:
		return in.Packet.Type.String()
	case model.InTimer:
		return "timer " + strings.SplitN(in.Timer.String(), "(", 2)[0]
	}
	return in.Kind.String()
}

func outputLabel(out []model.Output) string {
	var parts []string
	for _, o := range out {
		switch o.Kind {
		case model.OutSend:
			parts = append(parts, o.Packet.Type.String())
		case model.OutDeliver, model.OutComplete, model.OutAbandon:
			parts = append(parts, o.Kind.String())
		}
	}
	return strings.Join(parts, ", ")
}

func (p *projection) stepped(side int, in model.Input, before, after model.Endpoint, out []model.Output) {
	from, to := stateName(before), stateName(after)
	label := inputLabel(in)
	if o := outputLabel(out); o != "" {
		label += " / " + o
	} else if from == to {
		return // nothing happened that a drawing would show
	}
	p.states[side][from], p.states[side][to] = true, true
	p.edges[side][edge{from, label, to}] = true
}

func (p *projection) output(int, *model.Output, int, bool) {}
func (p *projection) network(move, model.Packet)           {}

// Machine is one endpoint's state machine as the explorer saw it.
type Machine struct {
	Role        string // the node and its part, "client (sender)" or "broker (routes)"
	Initial     string
	States      []string
	Transitions []Transition
}

// Transition is one abstract transition: input / outputs.
type Transition struct{ From, Label, To string }

// Machines returns the endpoints' state machines, one per node; the search
// must have run with Options.Project.
func (r *Result) Machines() []Machine {
	p := r.machines
	if p == nil {
		return nil
	}
	var ms []Machine
	for side := range p.init {
		m := Machine{Role: p.roles[side], Initial: p.init[side]}
		for s := range p.states[side] {
			m.States = append(m.States, s)
		}
		sort.Strings(m.States)
		for e := range p.edges[side] {
			m.Transitions = append(m.Transitions, Transition(e))
		}
		sort.Slice(m.Transitions, func(i, j int) bool {
			a, b := m.Transitions[i], m.Transitions[j]
			if a.From != b.From {
				return a.From < b.From
			}
			if a.To != b.To {
				return a.To < b.To
			}
			return a.Label < b.Label
		})
		ms = append(ms, m)
	}
	return ms
}

func (m Machine) ids() map[string]string {
	ids := map[string]string{}
	for i, s := range m.States {
		ids[s] = "s" + strconv.Itoa(i)
	}
	return ids
}

// WriteMermaid writes m as a Mermaid stateDiagram-v2.
func (m Machine) WriteMermaid(w io.Writer) error {
	ids := m.ids()
	var b strings.Builder
	fmt.Fprintf(&b, "---\ntitle: %s\n---\nstateDiagram-v2\n", m.Role)
	for _, s := range m.States {
		fmt.Fprintf(&b, "    %s : %s\n", ids[s], mermaidSafe(s))
	}
	if m.Initial != "" {
		fmt.Fprintf(&b, "    [*] --> %s\n", ids[m.Initial])
	}
	for _, t := range m.Transitions {
		fmt.Fprintf(&b, "    %s --> %s : %s\n", ids[t.From], ids[t.To], mermaidSafe(t.Label))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mermaidSafe(s string) string {
	return strings.NewReplacer(":", " ", ";", ",", "#", "", "\"", "'").Replace(s)
}

// WriteDOT writes m as a Graphviz digraph.
func (m Machine) WriteDOT(w io.Writer) error {
	ids := m.ids()
	var b strings.Builder
	name := strings.Fields(m.Role)[0]
	fmt.Fprintf(&b, "digraph %s {\n    label=%q;\n    rankdir=LR;\n    node [shape=box, style=rounded];\n", name, m.Role)
	if m.Initial != "" {
		fmt.Fprintf(&b, "    start [shape=point];\n    start -> %s;\n", ids[m.Initial])
	}
	for _, s := range m.States {
		fmt.Fprintf(&b, "    %s [label=%q];\n", ids[s], s)
	}
	for _, t := range m.Transitions {
		fmt.Fprintf(&b, "    %s -> %s [label=%q];\n", ids[t.From], ids[t.To], t.Label)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
