package report

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/conformance"
	"github.com/qoslab/qoslab/sim"
)

// FromConform builds the page of one conformance run: on the left the real
// transcript (the frames as the proxy released them, in lockstep order,
// each on its TCP connection), on the right the simulator's run of the
// same case (conformance.ModelConfig: the model on every node, sessions
// fresh as the real clients'), aligned row by row where the two
// correspond. Every divergence sits on the row of the real line that shows
// it, with its class and the statement involved. The model's endpoints
// show their state at each step; of the real ones, what the transcript
// tells: their connections and what their applications saw.
func FromConform(r *conformance.Result) *Doc {
	c := r.Case
	d := &Doc{Kind: "conform", TimeLabel: "t", Rows: []Row{}, Arrows: []Arrow{},
		Title: fmt.Sprintf("qoslab conform: %s, MQTT %s, %s", r.Target, r.Version, conformance.CaseLabel(c))}
	client, broker := targetParts(r.Target)
	top := c.Topology
	if top == sim.Direct {
		top = sim.Brokered
	}
	msgs := max(c.Messages, 1)
	d.Settings = []string{fmt.Sprintf("broker %s, client %s, MQTT %s, %s topology, %d message(s)%s", broker, client, r.Version, top, msgs, cleanNote(c.Clean))}
	if len(c.Faults) > 0 {
		d.Settings = append(d.Settings, "faults: "+c.Faults.String())
	}
	d.Settings = append(d.Settings, "left: the real run, each frame as the proxy released it; right: the simulator's run of the same case, sessions as fresh as the real clients'")

	var model conformance.Transcript
	var events []int
	res, st, err := sim.RunStates(conformance.ModelConfig(c, r.Version))
	if err == nil {
		model, events = conformance.FromTrace(res.Trace)
	}
	realNodes := orderNodes(lineNodes(r.Transcript))
	var modelNodes []string
	if err == nil {
		modelNodes = nodesOf(res.Trace, st)
	}
	d.Nodes = append(slices.Clone(realNodes), modelNodes...)
	d.Sides = []Side{{Title: "real: " + r.Target, Nodes: len(realNodes)}, {Title: "model: the simulator, same schedule", Nodes: len(modelNodes)}}
	realNode := func(n string) int { return slices.Index(realNodes, n) }
	modelNode := func(n string) int {
		if i := slices.Index(modelNodes, n); i >= 0 {
			return len(realNodes) + i
		}
		return -1
	}

	pairs := align(lineKeys(r.Transcript), lineKeys(model))
	realRow := make([]int, len(r.Transcript))
	modelRow := make([]int, len(model))
	for i, p := range pairs {
		row := Row{Node: -1, Peer: -1}
		if p.a >= 0 {
			realRow[p.a] = i
			row = d.lineRow(r.Transcript[p.a], i, realNode)
		}
		if p.b >= 0 {
			modelRow[p.b] = i
			m := d.lineRow(model[p.b], i, modelNode)
			row.Other = &m
			row.Differs = p.a >= 0 && differs(r.Transcript[p.a], model[p.b])
		}
		d.Rows = append(d.Rows, row)
	}
	slices.SortStableFunc(d.Arrows, func(a, b Arrow) int { return a.From - b.From })

	d.addDivergences(r, realRow)
	d.addRealStates(r, realNodes, realNode, client, broker, realRow)
	if err == nil {
		// A model event the transcript does not show (a receive, a
		// persist) takes effect at the next line it shows.
		row := func(a int) int {
			if a < 0 {
				return a
			}
			if k := sort.SearchInts(events, a); k < len(events) {
				return modelRow[k]
			}
			return len(d.Rows) - 1
		}
		d.addStatesAt(res.Trace, st, false, modelNode, row, "model ")
		d.Metric = append(d.Metric, Metric{Name: "model", Value: runVerdict(res).Text})
	} else {
		d.Sections = append(d.Sections, Section{Title: "model", Lines: []string{"the simulator refused the case: " + err.Error()}})
	}
	d.Verdict = conformVerdict(r)
	d.Metric = append(conformMetrics(r, msgs), d.Metric...)
	d.Replay = r.Replay
	d.ReplayNote = "the proxy releases one frame at a time by a fixed rule, so the same case gives the same transcript on every run"
	d.addConformSections(r)
	return d
}

// targetParts splits a target's name ("mochi", "paho.golang on mochi")
// into the client implementation and the broker.
func targetParts(target string) (client, broker string) {
	if c, b, ok := strings.Cut(target, " on "); ok {
		return c, b
	}
	return conformance.ModelClient.Name, target
}

func cleanNote(clean bool) string {
	if clean {
		return ", clean start"
	}
	return ""
}

// lineNodes are the nodes a transcript names, in the order they appear.
func lineNodes(t conformance.Transcript) []string {
	var ns []string
	add := func(n string) {
		if n != "" && !slices.Contains(ns, n) {
			ns = append(ns, n)
		}
	}
	for _, l := range t {
		add(l.From)
		add(l.To)
		for _, o := range l.Over {
			add(o)
		}
	}
	return ns
}

// orderNodes puts names in the participants' order, left to right.
func orderNodes(names []string) []string {
	rank := func(n string) int {
		if i := slices.Index(participantOrder, n); i >= 0 {
			return i
		}
		return len(participantOrder) + slices.Index(names, n)
	}
	out := slices.Clone(names)
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}

// lineKeys are what the alignment compares: a frame's direction and type
// (and a PUBLISH's message), not its ids or flags, which may differ where
// the lines still correspond; an application's event and its message; a
// connection coming up or breaking.
func lineKeys(t conformance.Transcript) []string {
	ks := make([]string, len(t))
	for i, l := range t {
		ks[i] = lineKey(l)
	}
	return ks
}

func lineKey(l conformance.Line) string {
	switch l.Kind {
	case conformance.LineArrow, conformance.LineLost:
		f := strings.Fields(l.Label)
		if len(f) == 0 {
			return "frame " + l.From + ">" + l.To
		}
		k := "frame " + l.From + ">" + l.To + " " + f[0]
		if f[0] == "PUBLISH" {
			k += " " + msgRef(f)
		}
		return k
	case conformance.LineFault:
		return "break " + strings.Join(l.Over, ",")
	}
	over := strings.Join(l.Over, ",")
	switch note := l.Note; {
	case strings.HasPrefix(note, "deliver "):
		return "deliver " + over + " " + strings.TrimPrefix(note, "deliver ")
	case strings.HasPrefix(note, "publish "):
		f := strings.Fields(note)
		if len(f) > 2 {
			return "reported " + over + " " + f[1] // completed or failed
		}
		return "publish " + over + " " + f[1]
	case strings.HasSuffix(note, " up"):
		return "up " + over
	}
	return "note " + over + " " + l.Note
}

// msgRef is the message a packet label names ("m3"), or "".
func msgRef(fields []string) string {
	for _, f := range fields {
		if len(f) > 1 && f[0] == 'm' && strings.Trim(f[1:], "0123456789") == "" {
			return f
		}
	}
	return ""
}

// differs tells two corresponding lines apart in detail: another packet
// (ids, flags, reason code), one lost and not the other, or another
// outcome reported to the publisher.
func differs(a, b conformance.Line) bool {
	switch a.Kind {
	case conformance.LineArrow, conformance.LineLost:
		return a.Label != b.Label || a.Kind != b.Kind
	case conformance.LineNote:
		if strings.HasPrefix(a.Note, "publish ") {
			return a.Note != b.Note
		}
	}
	return false
}

// lineRow draws one transcript line at row i: its row, and its arrow.
func (d *Doc) lineRow(l conformance.Line, i int, node func(string) int) Row {
	r := Row{T: l.At, Node: -1, Peer: -1}
	conn := ""
	if l.Conn > 0 {
		conn = " (connection " + strconv.Itoa(l.Conn) + ")"
	}
	switch l.Kind {
	case conformance.LineArrow, conformance.LineLost:
		r.Kind, r.Node, r.Peer = "frame", node(l.From), node(l.To)
		r.Text = l.From + " -> " + l.To + " " + l.Label + conn
		end := "recv"
		if l.Kind == conformance.LineLost {
			r.Kind, r.Fault, r.Note, end = "lost", true, l.Note, "lost"
			r.Text += ": " + l.Note
		}
		d.Arrows = append(d.Arrows, Arrow{From: i, To: i, A: node(l.From), B: node(l.To), Label: l.Label, End: end})
		return r
	case conformance.LineFault:
		r.Kind, r.Fault, r.Note = "break", true, l.Note
	default:
		r.Kind, r.Note = noteKind(l.Note), l.Note
		r.Fault = r.Kind == "fault"
	}
	if len(l.Over) > 0 {
		r.Node = node(l.Over[0])
	}
	if len(l.Over) > 1 {
		r.Peer = node(l.Over[1])
	}
	r.Text = strings.Join(l.Over, ", ") + ": " + l.Note
	return r
}

// noteKind is the row kind of a note: what the applications saw, a
// connection up, a fault (a delay).
func noteKind(note string) string {
	switch {
	case strings.HasPrefix(note, "deliver "):
		return "deliver"
	case strings.HasPrefix(note, "publish ") && strings.HasSuffix(note, " completed"):
		return "complete"
	case strings.HasPrefix(note, "publish ") && strings.Contains(note, " failed"):
		return "abandon"
	case strings.HasPrefix(note, "publish "):
		return "publish"
	case strings.HasSuffix(note, " up"):
		return "connect"
	case strings.HasPrefix(note, "fault "):
		return "fault"
	}
	return "note"
}

// addDivergences puts each divergence on its row and marks the rows.
func (d *Doc) addDivergences(r *conformance.Result, realRow []int) {
	for k, dv := range r.Divergences {
		row := 0
		if i := dv.Step - 1; i >= 0 && i < len(realRow) {
			row = realRow[i]
		}
		d.Divergences = append(d.Divergences, Divergence{N: k + 1, Row: row, Class: dv.Class.String(), Node: dv.Node,
			Did: dv.Did, Model: dv.Model, Statement: dv.Statement, Why: dv.Why, FollowsFrom: dv.FollowsFrom})
		d.Marks = append(d.Marks, row)
	}
	slices.Sort(d.Marks)
	d.Marks = slices.Compact(d.Marks)
	p := Panel{Title: "divergences so far", Changes: []Change{{At: -1, Lines: []string{"none"}}}}
	var lines []string
	for _, dv := range d.Divergences {
		lines = append(lines, divLine(dv))
		if last := &p.Changes[len(p.Changes)-1]; last.At == dv.Row {
			last.Lines = slices.Clone(lines)
			continue
		}
		p.Changes = append(p.Changes, Change{At: dv.Row, Lines: slices.Clone(lines)})
	}
	if len(d.Divergences) > 0 {
		d.Panels = append(d.Panels, p)
	}
}

// divLine is a divergence in one line: number, class, node, statement,
// step.
func divLine(dv Divergence) string {
	s := "!" + strconv.Itoa(dv.N) + " " + dv.Class + " (" + dv.Node + ")"
	if dv.Statement != "" {
		s += " [" + dv.Statement + "]"
	}
	return s + " at step " + strconv.Itoa(dv.Row+1)
}

// addRealStates gives each real node a card: its connections as the
// transcript shows them, what its application saw (publications and what
// the API answered, deliveries counted), and its divergences so far. On a
// long run a card's lists are cut short (capped): a state is recorded at
// every step that changes it, so the page grows with the lists' length.
func (d *Doc) addRealStates(r *conformance.Result, nodes []string, node func(string) int, client, broker string, realRow []int) {
	base := len(d.Endpoints)
	type card struct {
		conns map[string]string // peer -> its connection
		peers []string
		// What the application saw: publications, the API's answers,
		// deliveries counted by message.
		published, completed int
		waiting, failed      []string
		seen                 map[string]int
		delivered            int
		last                 string
		again                []string // messages delivered more than once
		divs                 []string
	}
	cards := make([]*card, len(nodes))
	if client == conformance.ModelClient.Name {
		client = "qoslab's model client"
	}
	for i, n := range nodes {
		name := "real " + n + " (" + client + ")"
		if n == "broker" {
			name = "real broker (" + broker + ")"
		}
		d.Endpoints = append(d.Endpoints, Endpoint{Name: name, Node: node(n)})
		cards[i] = &card{conns: map[string]string{}, seen: map[string]int{}}
	}
	connect := func(a, b, text string) {
		c := cards[slices.Index(nodes, a)]
		if _, ok := c.conns[b]; !ok {
			c.peers = append(c.peers, b)
		}
		c.conns[b] = text
	}
	state := func(i, at int) State {
		c := cards[i]
		var lines []string
		if c.published > 0 {
			lines = append(lines, fmt.Sprintf("published %d; the API answered %d (%d completed, %d failed)", c.published, c.completed+len(c.failed), c.completed, len(c.failed)))
		}
		lines = append(lines, capped(c.waiting)...)
		lines = append(lines, capped(c.failed)...)
		if c.delivered > 0 {
			lines = append(lines, fmt.Sprintf("delivered %d message(s), the last %s", c.delivered, c.last))
		}
		lines = append(lines, capped(c.again)...)
		s := State{Ep: base + i, At: at, Held: -1, Pending: append(lines, capped(c.divs)...)}
		var parts []string
		for _, p := range c.peers {
			parts = append(parts, "to "+p+": "+c.conns[p])
		}
		s.Conn = strings.Join(parts, "; ")
		if len(c.peers) == 1 {
			s.Conn = c.conns[c.peers[0]]
		}
		if s.Conn == "" {
			s.Conn = "not connected yet"
		}
		return s
	}
	for i := range nodes {
		d.States = append(d.States, state(i, -1))
	}
	divsAt := map[int][]*conformance.Divergence{}
	for k, dv := range r.Divergences {
		divsAt[dv.Step-1] = append(divsAt[dv.Step-1], r.Divergences[k])
	}
	number := map[*conformance.Divergence]int{}
	for k, dv := range r.Divergences {
		number[dv] = k + 1
	}
	for li, l := range r.Transcript {
		touched := map[string]bool{}
		conn := "connection " + strconv.Itoa(l.Conn)
		switch {
		case l.Kind == conformance.LineNote && noteKind(l.Note) == "connect" && len(l.Over) == 2:
			connect(l.Over[0], l.Over[1], conn+" up")
			connect(l.Over[1], l.Over[0], conn+" up")
			touched[l.Over[0]], touched[l.Over[1]] = true, true
		case l.Kind == conformance.LineFault && len(l.Over) == 2:
			_, why, _ := strings.Cut(l.Note, ": ")
			connect(l.Over[0], l.Over[1], "not connected: "+conn+" broken ("+why+")")
			connect(l.Over[1], l.Over[0], "not connected: "+conn+" broken ("+why+")")
			touched[l.Over[0]], touched[l.Over[1]] = true, true
		case l.Kind == conformance.LineArrow && strings.HasPrefix(l.Label, "CONNACK "):
			// The Session Present flag tells the client whether its
			// session resumed [MQTT-3.2.2-2].
			text := conn + " up; session present 0: a new session"
			if strings.Contains(l.Label, "sp=1") {
				text = conn + " up; session present 1: the session resumes"
			}
			connect(l.To, l.From, text)
			touched[l.To] = true
		case l.Kind == conformance.LineNote && len(l.Over) == 1:
			c := cards[slices.Index(nodes, l.Over[0])]
			f := strings.Fields(l.Note)
			switch noteKind(l.Note) {
			case "deliver":
				ref := f[1]
				c.seen[ref]++
				c.delivered, c.last = c.delivered+1, ref
				c.again = slices.DeleteFunc(c.again, func(s string) bool { return strings.HasPrefix(s, ref+" ") })
				if c.seen[ref] > 1 {
					c.again = append(c.again, ref+" delivered "+times(c.seen[ref]))
				}
			case "publish":
				c.published++
				c.waiting = append(c.waiting, f[1]+": waiting for the API's answer")
			case "complete", "abandon":
				ref := f[1]
				c.waiting = slices.DeleteFunc(c.waiting, func(s string) bool { return strings.HasPrefix(s, ref+":") })
				if f[2] == "completed" {
					c.completed++
				} else {
					c.failed = append(c.failed, ref+": the API reported it "+strings.Join(f[2:], " "))
				}
			}
			touched[l.Over[0]] = true
		}
		for _, dv := range divsAt[li] {
			if i := slices.Index(nodes, dv.Node); i >= 0 {
				cards[i].divs = append(cards[i].divs, "!"+strconv.Itoa(number[dv])+" "+dv.Class.String())
				touched[dv.Node] = true
			}
		}
		for i, n := range nodes {
			if touched[n] {
				d.States = append(d.States, state(i, realRow[li]))
			}
		}
	}
}

// capped keeps a card's list short on a long run: the first few lines,
// and how many more there are.
func capped(lines []string) []string {
	const most = 6
	if len(lines) <= most {
		return lines
	}
	return append(slices.Clone(lines[:most]), "… and "+strconv.Itoa(len(lines)-most)+" more")
}

func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return strconv.Itoa(n) + " times"
}

// conformVerdict is the run's verdict and its divergences counted by
// class.
func conformVerdict(r *conformance.Result) *Verdict {
	v := &Verdict{Text: string(r.Verdict), Bad: r.Verdict.Failed()}
	if len(r.Divergences) == 0 {
		return v
	}
	count := map[string]int{}
	var classes []string
	for _, dv := range r.Divergences {
		c := dv.Class.String()
		if count[c] == 0 {
			classes = append(classes, c)
		}
		count[c]++
	}
	var parts []string
	for _, c := range classes {
		parts = append(parts, strconv.Itoa(count[c])+" "+c)
	}
	v.Text += fmt.Sprintf(": %d divergence(s): %s", len(r.Divergences), strings.Join(parts, ", "))
	return v
}

// conformMetrics are the deliveries counted at the subscribers and what
// the publisher's API reported, message by message.
func conformMetrics(r *conformance.Result, msgs int) []Metric {
	var del, rep []string
	for ref := uint32(1); ref <= uint32(msgs); ref++ {
		m := "m" + strconv.FormatUint(uint64(ref), 10)
		n := r.Delivered[ref]
		switch n {
		case 0:
			del = append(del, m+" never")
		default:
			del = append(del, m+" "+times(n))
		}
		out, ok := r.Reported[ref]
		if !ok {
			out = "no answer"
		}
		rep = append(rep, m+" "+out)
	}
	ms := []Metric{
		{Name: "delivered at the subscribers", Value: strings.Join(del, ", ")},
		{Name: "the publisher's API reported", Value: strings.Join(rep, ", ")},
	}
	if len(r.Choices) > 0 {
		ms = append(ms, Metric{Name: "open choices", Value: strings.Join(r.Choices, "; ")})
	}
	return ms
}

// addConformSections lists the divergences in full, why the run stopped,
// the faults that never fired and the schedule.
func (d *Doc) addConformSections(r *conformance.Result) {
	if len(r.Divergences) > 0 {
		var lines []string
		for k, dv := range r.Divergences {
			lines = append(lines, "!"+strconv.Itoa(k+1)+" "+dv.String()+" (step "+strconv.Itoa(d.Divergences[k].Row+1)+")")
		}
		d.Sections = append(d.Sections, Section{Title: "divergences", Lines: lines, Code: true, Bad: r.Verdict.Failed()})
	}
	if r.Stopped != "" {
		d.Sections = append(d.Sections, Section{Title: "stopped: " + r.Stopped, Lines: r.Pending, Code: true, Bad: true})
	}
	if len(r.Unfired) > 0 {
		d.Sections = append(d.Sections, Section{Title: "faults that never fired", Lines: r.Unfired, Code: true})
	}
	if len(r.Case.Faults) > 0 {
		d.Sections = append(d.Sections, Section{Title: "fault schedule", Lines: []string{r.Case.Faults.String()}, Code: true})
	}
}
