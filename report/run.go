package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// FromRun builds the report of one simulated run from its result (traced)
// and the endpoints' states that sim.RunStates recorded beside it. The
// caller adds the metrics and the replay command.
func FromRun(res *sim.Result, st *sim.States) *Doc {
	c := res.Config
	d := &Doc{Kind: "run", TimeLabel: "t", Rows: []Row{}, Arrows: []Arrow{},
		Title:    fmt.Sprintf("qoslab run: %s, %s topology, %s mode, MQTT %s", c.Variant, c.Topology, c.Endpoint.Mode, c.Endpoint.Version),
		Settings: []string{fmt.Sprintf("%d message(s), seed %d", c.Workload.Messages, c.Seed)}}
	if l := LegsLine(res); l != "" {
		d.Settings = append(d.Settings, l)
	}
	if len(c.Faults) > 0 {
		d.Settings = append(d.Settings, "faults: "+c.Faults.String())
	}
	d.Nodes = nodesOf(res.Trace, st)
	d.addTrace(res.Trace)
	d.addStates(res.Trace, st, c.Endpoint.Mode == model.Datagram)
	d.addSchedule(res)
	d.Verdict = runVerdict(res)
	if len(res.Pending) > 0 {
		d.Sections = append(d.Sections, Section{Title: "pending at the end", Lines: res.Pending, Code: true})
	}
	return d
}

// LegsLine is the line that says at which QoS each connection of a
// brokered topology carries publications ("" without a broker): the text
// of simulate run and the report print the same.
func LegsLine(res *sim.Result) string {
	c := res.Config
	switch l := c.Topology.Layout(); {
	case c.Topology == sim.Brokered && len(res.Legs) == 2:
		return fmt.Sprintf("legs: publisher -> broker %s, broker -> subscriber %s (the lower QoS of the two)", res.Legs[0], res.Legs[1])
	case l.HasBroker():
		// Each connection carries publications both ways: up with
		// --variant, down at the lower QoS of it and --sub-variant.
		legs := make([]string, len(l.Links))
		for i, lk := range l.Links {
			legs[i] = l.Nodes[lk.Client].Name + " <-> " + l.Nodes[lk.Server].Name + " " + res.Legs[i]
		}
		return "legs: " + strings.Join(legs, ", ") + " (up/down where they differ)"
	}
	return ""
}

func runVerdict(res *sim.Result) *Verdict {
	s := res.Summarize()
	v := &Verdict{Text: fmt.Sprintf("%d published: %d exactly once, %d duplicated, %d lost", s.Messages, s.ExactlyOnce, s.Duplicated, s.Missing)}
	v.Bad = s.Duplicated > 0 || s.Missing > 0
	if res.Settled {
		v.Text += fmt.Sprintf("; settled at t=%d", res.EndTicks)
	} else {
		v.Text += fmt.Sprintf("; not settled at t=%d", res.EndTicks)
	}
	return v
}

// participantOrder is the order of the topologies' nodes from left to
// right; other names follow in the order they appear.
var participantOrder = []string{"client", "publisher", "alice", "broker", "server", "subscriber", "carol"}

func nodesOf(t sim.Trace, st *sim.States) []string {
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if n != "" && n != "network" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if st != nil {
		for _, e := range st.Endpoints {
			add(e.Node)
		}
	}
	for _, e := range t {
		add(e.Node)
		add(e.Peer)
	}
	return orderNodes(names)
}

// addTrace makes one row per trace event and one arrow per copy of a
// packet sent.
func (d *Doc) addTrace(t sim.Trace) {
	node := func(n string) int { return slices.Index(d.Nodes, n) }
	sendRow := map[int64]int{} // send id -> its row
	copies := map[int64]int{}  // send id -> copies still on the wire
	var open []int64           // send ids in send order
	for i, e := range t {
		r := Row{T: e.At, Kind: e.Kind.String(), Node: node(e.Node), Peer: -1, Text: eventText(e)}
		if e.Peer != "" {
			r.Peer = node(e.Peer)
		}
		ref := "m" + strconv.FormatUint(uint64(e.Msg), 10)
		switch e.Kind {
		case sim.TSend:
			sendRow[e.ID], copies[e.ID] = i, 1
			open = append(open, e.ID)
		case sim.TDup:
			copies[e.ID]++
			r.Note, r.Fault = "duplicated by the network", true
		case sim.TRecv, sim.TLost:
			if s, ok := sendRow[e.ID]; ok {
				sent := t[s]
				end := "recv"
				if e.Kind == sim.TLost {
					end, r.Fault = "lost", true
					r.Note = "lost: " + e.Note
				}
				d.Arrows = append(d.Arrows, Arrow{From: s, To: i, A: node(sent.Node), B: node(sent.Peer), Label: sent.Packet.Label(), End: end})
				copies[e.ID]--
			}
		case sim.TDeliver:
			r.Note = "deliver " + ref
		case sim.TComplete:
			r.Note = "complete " + ref
		case sim.TAbandon:
			r.Note = "abandon " + ref + ": " + e.Note
		case sim.TPersist:
			r.Note = "persist: " + e.Note
		case sim.TTimer:
			r.Note = "timer " + e.Note
		case sim.TBreak:
			r.Note, r.Fault = e.Note, true
		case sim.TConnect:
			r.Note = "connected"
		case sim.TCrash:
			r.Note, r.Fault = e.Node+" crashes", true
		case sim.TRestart:
			r.Note = e.Node + " restarts"
		case sim.THeal:
			r.Note = e.Note
		}
		d.Rows = append(d.Rows, r)
	}
	for _, id := range open {
		s := sendRow[id]
		for range copies[id] {
			d.Arrows = append(d.Arrows, Arrow{From: s, To: len(t), A: node(t[s].Node), B: node(t[s].Peer), Label: t[s].Packet.Label(), End: "flight"})
		}
	}
	slices.SortStableFunc(d.Arrows, func(a, b Arrow) int { return a.From - b.From })
}

// eventText is the trace's canonical line without its time column and
// padding.
func eventText(e sim.TraceEvent) string {
	e.At = 0
	return strings.Join(strings.Fields(e.String())[1:], " ")
}

// addStates merges the recorded endpoint states with each endpoint's
// connection as the trace tells it, into one list of changes in row order.
func (d *Doc) addStates(t sim.Trace, st *sim.States, datagram bool) {
	node := func(n string) int { return slices.Index(d.Nodes, n) }
	d.addStatesAt(t, st, datagram, node, func(a int) int { return min(a, len(t)-1) }, "")
}

// addStatesAt is addStates where trace event i shows at row row(i) (a
// function that never decreases) and node n is node(n); the endpoints'
// names start with prefix.
func (d *Doc) addStatesAt(t sim.Trace, st *sim.States, datagram bool, node func(string) int, row func(int) int, prefix string) {
	if st == nil {
		return
	}
	base := len(d.Endpoints)
	cur := make([]State, len(st.Endpoints))
	conn := make([]map[string]string, len(st.Endpoints)) // per endpoint: peer -> its connection
	for i, e := range st.Endpoints {
		d.Endpoints = append(d.Endpoints, Endpoint{Name: prefix + endpointName(e), Node: node(e.Node)})
		conn[i] = map[string]string{}
		for _, p := range e.Peers {
			conn[i][p] = "not connected"
		}
		cur[i] = State{Ep: base + i, At: -1, Conn: connText(e, conn[i])}
	}
	conns := connChanges(t, st, datagram)
	steps := st.Steps
	emit := func(i, at int) {
		s := cur[i]
		s.At = at
		if n := len(d.States); n > 0 && d.States[n-1].Ep == base+i && d.States[n-1].At == at {
			d.States[n-1] = s // the same row changed it twice: keep the last
			return
		}
		d.States = append(d.States, s)
	}
	for len(steps) > 0 || len(conns) > 0 {
		if len(conns) == 0 || (len(steps) > 0 && row(steps[0].At) <= row(conns[0].at)) {
			s := steps[0]
			steps = steps[1:]
			cur[s.Endpoint].Pending, cur[s.Endpoint].Held = s.Pending, s.Held
			emit(s.Endpoint, row(s.At))
			continue
		}
		c := conns[0]
		conns = conns[1:]
		for p := range conn[c.ep] {
			if c.peer == "" || c.peer == p {
				conn[c.ep][p] = c.text
			}
		}
		cur[c.ep].Conn = connText(st.Endpoints[c.ep], conn[c.ep])
		emit(c.ep, row(c.at))
	}
}

// endpointName says what a node's application does.
func endpointName(e sim.EndpointInfo) string {
	switch {
	case e.Broker:
		return e.Node + " (broker)"
	case e.Publishes && e.Receives:
		return e.Node + " (publishes and receives)"
	case e.Publishes:
		return e.Node + " (publishes)"
	case e.Receives:
		return e.Node + " (receives)"
	}
	return e.Node
}

// connText is an endpoint's connections in words: one, or each by peer.
func connText(e sim.EndpointInfo, conn map[string]string) string {
	if len(e.Peers) == 1 {
		return conn[e.Peers[0]]
	}
	parts := make([]string, len(e.Peers))
	for i, p := range e.Peers {
		parts[i] = "to " + p + ": " + conn[p]
	}
	return strings.Join(parts, "; ")
}

// connChange is a change of one endpoint's connection with peer (every
// connection when peer is "").
type connChange struct {
	ep, at int
	peer   string
	text   string
}

// connChanges reads each endpoint's connections and sessions from the
// trace: the transport coming up, the CONNACK's Session Present flag
// [MQTT-3.2.2-2], breaks, crashes and restarts.
func connChanges(t sim.Trace, st *sim.States, datagram bool) []connChange {
	var out []connChange
	node := func(n string) int {
		for i, e := range st.Endpoints {
			if e.Node == n {
				return i
			}
		}
		return -1
	}
	add := func(at int, n, peer, text string) {
		if i := node(n); i >= 0 {
			out = append(out, connChange{ep: i, at: at, peer: peer, text: text})
		}
	}
	for i, e := range t {
		p := e.Packet
		switch {
		case e.Kind == sim.TConnect:
			text := "transport up"
			if datagram {
				text = "connected (datagram: no handshake)"
			}
			add(i, e.Node, e.Peer, text)
			add(i, e.Peer, e.Node, text)
		case e.Kind == sim.TRecv && p != nil && p.Type == model.CONNECT:
			text := "connected; client asked to resume its session (clean=0)"
			if p.CleanStart {
				text = "connected; client asked for a clean session"
			}
			add(i, e.Node, e.Peer, text)
		case e.Kind == sim.TSend && p != nil && p.Type == model.CONNACK:
			text := "connected; session present 0 sent: a new session"
			if p.SessionPresent {
				text = "connected; session present 1 sent: the session resumes"
			}
			add(i, e.Node, e.Peer, text)
		case e.Kind == sim.TRecv && p != nil && p.Type == model.CONNACK:
			text := "connected; session present 0: a new session"
			if p.SessionPresent {
				text = "connected; session present 1: the session resumes"
			}
			add(i, e.Node, e.Peer, text)
		case e.Kind == sim.TBreak:
			add(i, e.Node, e.Peer, "not connected: "+e.Note)
			add(i, e.Peer, e.Node, "not connected: "+e.Note)
		case e.Kind == sim.TCrash:
			add(i, e.Node, "", "down: the node crashed")
		case e.Kind == sim.TRestart:
			add(i, e.Node, "", "restarted, not connected")
		}
	}
	return out
}

// addSchedule lists the schedule's faults still to come at each row: a
// fault fires at the row where the simulator matched it (sim.Result's
// FaultRows).
func (d *Doc) addSchedule(res *sim.Result) {
	faults := res.Config.Faults
	if len(faults) == 0 || len(res.FaultRows) != len(faults) {
		return
	}
	fires := res.FaultRows
	p := Panel{Title: "scheduled faults still to come"}
	list := func(after int) []string {
		var ls []string
		for k, f := range faults {
			switch {
			case fires[k] < 0:
				ls = append(ls, f.String()+" (never fires in this run)")
			case fires[k] > after:
				ls = append(ls, f.String()+" (step "+strconv.Itoa(fires[k]+1)+")")
			}
		}
		if len(ls) == 0 {
			ls = []string{"none"}
		}
		return ls
	}
	p.Changes = append(p.Changes, Change{At: -1, Lines: list(-1)})
	rows := slices.Clone(fires)
	slices.Sort(rows)
	for _, r := range slices.Compact(rows) {
		if r >= 0 {
			p.Changes = append(p.Changes, Change{At: r, Lines: list(r)})
		}
	}
	d.Panels = append(d.Panels, p)
	d.Sections = append(d.Sections, Section{Title: "fault schedule", Lines: []string{faults.String()}, Code: true})
}
