package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/explore"
	"github.com/qoslab/qoslab/properties"
	"github.com/qoslab/qoslab/sim"
)

// FromCheck builds the report of a property search. For a counterexample
// it replays the shrunk case (a seed and settings reproduce a run exactly)
// to record the endpoints' states, and adds the original and shrunk cases,
// the shrunk schedule and the violations, whose trace positions it marks.
func FromCheck(rep properties.Report) (*Doc, error) {
	s := rep.Search
	c := s.Config
	title := fmt.Sprintf("qoslab check: property %s (%s) for variant %s, %s topology, %s mode, MQTT %s", s.Property.Name,
		s.Property.Kind, c.Variant, c.Topology, c.Endpoint.Mode, c.Endpoint.Version)
	if rep.Held {
		v := &Verdict{Text: fmt.Sprintf("held: no counterexample in %d schedules (seed %d)", rep.Tried, s.Seed)}
		if rep.Interrupted {
			// Stopped early, the search vouches for nothing beyond what it tried.
			v.Text = "INTERRUPTED: no counterexample in the schedules tried; nothing is shown beyond them"
		}
		return &Doc{Kind: "check", Title: title, TimeLabel: "t", Settings: []string{s.Property.Doc}, Verdict: v}, nil
	}
	x := rep.Counterexample
	res, st, err := sim.RunStates(x.Config)
	if err != nil {
		return nil, err
	}
	if len(res.Trace) != len(x.Result.Trace) {
		return nil, fmt.Errorf("the counterexample's replay took %d events, the search's run %d", len(res.Trace), len(x.Result.Trace))
	}
	d := FromRun(res, st)
	d.Kind, d.Title = "check", title
	d.Settings = append([]string{s.Property.Doc}, d.Settings...)
	schedule := x.Case.Faults.String()
	if schedule == "" {
		schedule = "(no faults: the workload alone breaks the property)"
	}
	d.Sections = append([]Section{
		{Title: "shrunk schedule", Lines: []string{schedule}, Code: true},
		{Title: "shrunk case (" + strconv.Itoa(x.Shrinks) + " shrink steps)", Lines: []string{x.Case.String()}, Code: true},
		{Title: "as first found", Lines: []string{x.Original.String()}, Code: true},
		{Title: "search", Lines: []string{fmt.Sprintf("%d schedules tried, seed %d", rep.Tried, s.Seed)}},
	}, sectionsExcept(d.Sections, "fault schedule")...)
	d.AddViolations(x.Violations)
	d.Replay = x.Command()
	return d, nil
}

// AddViolations makes vs, a run's violations, the report's verdict (the
// first) and its first section, and marks the rows that show them.
func (d *Doc) AddViolations(vs []properties.Violation) {
	if len(vs) == 0 {
		return
	}
	d.Verdict = &Verdict{Text: "VIOLATED: " + vs[0].String(), Bad: true}
	var lines []string
	for _, v := range vs {
		lines = append(lines, v.String())
		d.Marks = append(d.Marks, v.Events...)
	}
	slices.Sort(d.Marks)
	d.Marks = slices.Compact(d.Marks)
	d.Sections = append([]Section{{Title: "violations", Lines: lines, Code: true, Bad: true}}, d.Sections...)
}

func sectionsExcept(ss []Section, title string) []Section {
	return slices.DeleteFunc(ss, func(s Section) bool { return s.Title == title })
}

// FromExplore builds the report of an exploration: for a violation, its
// shortest path walked step by step (explore.Stepper), with every state
// between; else the verdict alone. The caller adds the bounds and figures.
func FromExplore(res *explore.Result) (*Doc, error) {
	o := res.Options
	title := fmt.Sprintf("qoslab explore: variant %s, %s topology, %s mode, MQTT %s", o.Variant, o.Topology, o.Mode, o.Version)
	v := res.Violation
	if v == nil {
		return &Doc{Kind: "explore", Title: title, TimeLabel: "step", Verdict: &Verdict{Text: ExploreVerdict(res)}}, nil
	}
	st, err := explore.NewStepper(o)
	if err != nil {
		return nil, err
	}
	path, err := st.PathOf(v)
	if err != nil {
		return nil, err
	}
	p, err := st.Walk(path)
	if err != nil {
		return nil, err
	}
	d := FromPath(p, st.Nodes())
	d.Kind, d.Title = "explore", title
	d.Verdict = &Verdict{Text: ExploreVerdict(res), Bad: true}
	d.Marks = []int{len(d.Rows) - 1}
	d.Start = 0 // a report is read from its first step; the violation is a click away
	if len(v.Pending) > 0 {
		d.Sections = append(d.Sections, Section{Title: "pending in the last state", Lines: v.Pending, Code: true, Bad: true})
	}
	d.Replay = v.Replay.Command()
	d.ReplayNote = ReplayStatus(v)
	if v.ReplayNote != "" {
		d.ReplayNote += "; note: " + v.ReplayNote
	}
	return d, nil
}

// ExploreVerdict is an exploration's outcome in one line, as simulate
// explore and serve say it and the report shows it.
func ExploreVerdict(res *explore.Result) string {
	switch res.Verdict {
	case explore.Proven:
		return "PROVEN within the bounds: no duplicate and no loss in any reachable state; from every state all messages can finish without further faults"
	case explore.Violated:
		return "VIOLATED: " + res.Violation.String() + " (a shortest counterexample)"
	}
	return "INCOMPLETE: " + res.Stopped
}

// ReplayStatus says whether the simulator, given a violation's replay
// command, reproduced it.
func ReplayStatus(v *explore.Violation) string {
	if v.Reproduced {
		return "reproduces the violation in the simulator"
	}
	return "does NOT reproduce it in the simulator"
}

// FromPath draws a walk through an exploration's state space: one row per
// move, an arrow per packet from the move that sent it to the move that
// delivered or lost it, and each state's endpoints, faults left, messages
// and properties. The viewer opens at the last step.
func FromPath(p *explore.Path, nodes []string) *Doc {
	d := &Doc{Kind: "explore", TimeLabel: "step", Nodes: nodes, Start: len(p.Steps) - 1, Rows: []Row{}, Arrows: []Arrow{}}
	node := func(n string) int { return slices.Index(nodes, n) }
	for i, s := range p.Steps {
		r := Row{T: int64(s.N), Kind: moveKind(s.Move), Node: node(s.From), Peer: -1, Fault: s.Fault, Text: s.Move}
		var notes []string
		for _, n := range s.Notes {
			if !strings.HasPrefix(n, "sent at step ") {
				notes = append(notes, n)
			}
		}
		if len(s.Notes) > 0 {
			r.Text += " (" + strings.Join(s.Notes, "; ") + ")"
		}
		if s.To != "" {
			r.Peer = node(s.To)
		}
		switch {
		case s.Label != "" && s.To != "":
			end := "recv"
			if s.Lost {
				end = "lost"
			}
			from := i
			if s.Sent > 0 {
				from = s.Sent - 1
			}
			d.Arrows = append(d.Arrows, Arrow{From: from, To: i, A: node(s.From), B: node(s.To), Label: s.Label, End: end})
			r.Note = strings.Join(notes, "; ")
			if r.Note != "" {
				r.Node, r.Peer = node(s.To), node(s.From) // the consequences happen at the receiver
			}
		default:
			r.Note = strings.Join(append([]string{s.Move}, notes...), "; ")
		}
		for _, f := range s.Dropped {
			d.Arrows = append(d.Arrows, Arrow{From: max(f.Sent-1, 0), To: i, A: node(f.From), B: node(f.To), Label: f.Label, End: "lost"})
		}
		d.Rows = append(d.Rows, r)
	}
	for _, f := range p.Last().InFlight {
		d.Arrows = append(d.Arrows, Arrow{From: max(f.Sent-1, 0), To: len(d.Rows), A: node(f.From), B: node(f.To), Label: f.Label, End: "flight"})
	}
	slices.SortStableFunc(d.Arrows, func(a, b Arrow) int { return a.From - b.From })
	for _, n := range p.Start.Nodes {
		d.Endpoints = append(d.Endpoints, Endpoint{Name: n.Name, Node: node(n.Name)})
	}
	panels := []Panel{{Title: "faults left"}, {Title: "messages"}, {Title: "properties"}}
	var last []State
	d.addView(p.Start, -1, &last, panels)
	for i, s := range p.Steps {
		d.addView(s.State, i, &last, panels)
	}
	d.Panels = panels
	return d
}

// moveKind is the row kind of a move's text.
func moveKind(move string) string {
	for _, k := range []string{"publish", "connect", "restart", "deliver", "break", "crash", "lose"} {
		if strings.HasPrefix(move, k) {
			if k == "lose" {
				return "lost"
			}
			return k
		}
	}
	switch {
	case strings.HasPrefix(move, "network duplicates"):
		return "dup"
	case strings.Contains(move, " timer "):
		return "timer"
	}
	return "move"
}

// addView records what changed in state v, reached at row at.
func (d *Doc) addView(v explore.StateView, at int, last *[]State, panels []Panel) {
	for i, n := range v.Nodes {
		s := State{Ep: i, At: at, Conn: n.Session, Held: n.Held, Pending: n.Pending, Timers: n.Timers}
		if len(*last) <= i {
			*last = append(*last, State{Ep: -1})
		}
		if p := (*last)[i]; p.Ep == i && p.Conn == s.Conn && p.Held == s.Held && slices.Equal(p.Pending, s.Pending) && slices.Equal(p.Timers, s.Timers) {
			continue
		}
		(*last)[i] = s
		d.States = append(d.States, s)
	}
	var budget, msgs, props []string
	for _, b := range v.FaultsLeft {
		budget = append(budget, fmt.Sprintf("%s: %d left", b.Fault, b.Left))
	}
	if len(budget) == 0 {
		budget = []string{"none: no faults in the bounds"}
	}
	for _, m := range v.Messages {
		var what []string
		if !m.Published {
			what = append(what, "not published")
		} else {
			what = append(what, "delivered "+strconv.Itoa(m.Delivered)+"x")
		}
		if m.Completed {
			what = append(what, "completed")
		}
		if m.Abandoned {
			what = append(what, "abandoned")
		}
		msgs = append(msgs, "m"+strconv.Itoa(m.Msg)+": "+strings.Join(what, ", "))
	}
	for _, p := range v.Properties {
		verdict := "holds"
		if !p.Holds {
			verdict = "VIOLATED"
			if p.Name == "finished" {
				verdict = "no"
			}
		}
		props = append(props, p.Name+": "+verdict+" ("+p.Detail+")")
	}
	for k, lines := range [][]string{budget, msgs, props} {
		ch := panels[k].Changes
		if n := len(ch); n > 0 && slices.Equal(ch[n-1].Lines, lines) {
			continue
		}
		panels[k].Changes = append(ch, Change{At: at, Lines: lines})
	}
}
