package conformance

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// The oracle. Each node (every client, and the broker) has a set of
// candidates: its model (shadow.go) in one state, with the outputs it
// owes — packets it will send and messages it will hand to its application.
// A frame a node receives steps every candidate through model.Outcomes, so
// that every option of every open choice becomes a candidate of its own;
// frames the node sends and messages it delivers are matched against what
// each candidate owes. A candidate that cannot explain an observation is
// dropped. When none can, the observation is a divergence, classified and
// kept, and the candidates carry on: they were stepped with what the node
// really received, so a divergence does not cascade into the rest of the
// run. When the system is quiet, what a candidate still owes was never
// sent: a divergence too, unless another candidate owes nothing.

// Class is how serious a divergence is.
type Class uint8

const (
	// Consequence follows from an earlier divergence in the same run: the
	// node was reacting to a frame that diverged, or the flow exists only
	// because of one.
	Consequence Class = iota + 1
	// Permitted is a difference the specification allows: not a failure.
	Permitted
	// Protocol is a MUST of the specification broken; the statement is cited.
	Protocol
	// Delivery is a message delivered twice, lost, or delivered while the
	// publisher was told it failed.
	Delivery
)

var classNames = [...]string{"", "consequence", "permitted difference", "protocol violation", "delivery violation"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "class" + strconv.Itoa(int(c))
}

// MarshalText writes the class's name.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a class's name.
func (c *Class) UnmarshalText(b []byte) error {
	for i, n := range classNames {
		if n != "" && n == string(b) {
			*c = Class(i)
			return nil
		}
	}
	return fmt.Errorf("class %q: allowed values are %s", b, strings.Join(classNames[1:], ", "))
}

// Divergence is one place where a real implementation did what the model
// does not allow (or, for Permitted, allows as another option).
type Divergence struct {
	Class Class  `json:"class"`
	Node  string `json:"node"` // who diverged: broker, publisher, subscriber, ...
	Step  int    `json:"step"` // the transcript line it concerns (1-based)
	At    int64  `json:"t"`
	// What the node did, and what the model would have done instead.
	Did       string `json:"did"`
	Model     string `json:"model"`
	Statement string `json:"statement,omitempty"` // the normative statement, e.g. MQTT-4.3.3-10
	Why       string `json:"why"`
	// FollowsFrom is, for a consequence, the number (1-based, in
	// Result.Divergences) of the divergence it follows from.
	FollowsFrom int `json:"follows_from,omitempty"`
	// key names the flow or message, so that later divergences about
	// the same one are consequences.
	key   []string
	cause *Divergence
	// rogue marks a packet that starts a flow the model does not have.
	rogue bool
}

// String is the one-line form used in reports.
func (d Divergence) String() string {
	s := d.Class.String() + ": " + d.Node + " " + d.Did + "; model: " + d.Model
	if d.Statement != "" {
		s += " [" + d.Statement + "]"
	}
	if d.FollowsFrom > 0 {
		s += " (follows from divergence " + strconv.Itoa(d.FollowsFrom) + ")"
	}
	if d.Why != "" {
		s += " — " + d.Why
	}
	return s
}

// candidate is one state of a node's model and what it owes.
type candidate struct {
	ep       model.Endpoint
	idPolicy model.IDPolicy
	owes     []owed
	// ids maps, per connection, a packet id the node chose for one of its
	// own flows (PUBLISH, SUBSCRIBE) to the id the model chose. Any unused
	// id is allowed [MQTT-2.2.1-3]; the map follows the node's choice
	// until the flow ends, rather than branching over 65,535 options.
	ids map[int]map[uint16]uint16
	// subIDs marks the mapped ids that are a SUBSCRIBE's, which the
	// outbound half does not track (SUBACK ends them).
	subIDs map[int]map[uint16]bool
	// chose records the options taken at the model's open choices.
	chose []choiceRec
	// fates of messages in this candidate's model: abandoned by a sender,
	// or taken by the broker with no subscriber.
	abandoned, unrouted map[uint32]bool
}

// choiceRec is one choice a candidate's model made.
type choiceRec struct {
	step int // the oracle's input counter
	kind model.ChoiceKind
	pick uint32
}

// owed is an output a candidate's model produced and the node has not been
// seen to produce yet.
type owed struct {
	conn    int
	packet  model.Packet // a send
	deliver uint32       // or a delivery to the application (message ref)
	after   string       // what it answers, for reports
}

func (o owed) String() string {
	if o.deliver != 0 {
		return "deliver m" + utoa(o.deliver)
	}
	return "send " + o.packet.Label()
}

// fork is a copy of c with next as its model state.
func (c *candidate) fork(next model.Endpoint) *candidate {
	n := &candidate{ep: next, idPolicy: c.idPolicy, owes: append([]owed(nil), c.owes...),
		chose: append([]choiceRec(nil), c.chose...), abandoned: map[uint32]bool{}, unrouted: map[uint32]bool{}}
	for conn, m := range c.subIDs {
		for k := range m {
			n.markSub(conn, k)
		}
	}
	if c.ids != nil {
		n.ids = map[int]map[uint16]uint16{}
		for conn, m := range c.ids {
			n.ids[conn] = map[uint16]uint16{}
			for k, v := range m {
				n.ids[conn][k] = v
			}
		}
	}
	for r := range c.abandoned {
		n.abandoned[r] = true
	}
	for r := range c.unrouted {
		n.unrouted[r] = true
	}
	return n
}

// key is a candidate's identity for merging equal ones.
func (c *candidate) key() string {
	var b strings.Builder
	b.Write(c.ep.AppendKey(nil))
	for _, w := range c.owes {
		fmt.Fprintf(&b, "|%d %s %d", w.conn, w.packet.String(), w.deliver)
	}
	conns := make([]int, 0, len(c.ids))
	for conn := range c.ids {
		conns = append(conns, conn)
	}
	sort.Ints(conns)
	for _, conn := range conns {
		ids := make([]int, 0, len(c.ids[conn]))
		for k := range c.ids[conn] {
			ids = append(ids, int(k))
		}
		sort.Ints(ids)
		for _, k := range ids {
			fmt.Fprintf(&b, "#%d:%d>%d", conn, k, c.ids[conn][uint16(k)])
		}
	}
	return b.String()
}

// toModel translates a packet of one of the node's own flows to the
// model's id.
func (c *candidate) toModel(conn int, p model.Packet) model.Packet {
	if m, ok := c.ids[conn][p.ID]; ok {
		p.ID = m
	}
	return p
}

// fromModel translates a packet the model owes to the ids the node chose,
// for reports: "did not send PUBLISH id=2" names the node's id 2.
func (c *candidate) fromModel(conn int, p model.Packet) model.Packet {
	if !ownFlow(p.Type) {
		return p
	}
	for real, m := range c.ids[conn] {
		if m == p.ID {
			p.ID = real
			return p
		}
	}
	return p
}

// markSub records that real is a SUBSCRIBE's id.
func (c *candidate) markSub(conn int, real uint16) {
	if c.subIDs == nil {
		c.subIDs = map[int]map[uint16]bool{}
	}
	if c.subIDs[conn] == nil {
		c.subIDs[conn] = map[uint16]bool{}
	}
	c.subIDs[conn][real] = true
}

// unmapEnded drops the mappings of publication flows the model no longer
// has on conn (completed, refused, abandoned with the session): the id is
// free again on both sides.
func (c *candidate) unmapEnded(conn int) {
	u := idUser(c.ep, conn)
	if u == nil {
		return
	}
	for real, m := range c.ids[conn] {
		if !c.subIDs[conn][real] && !u.InUse(m) {
			delete(c.ids[conn], real)
		}
	}
}

// idUser is the outbound half of a node's session on conn, which knows the
// ids of the flows it has.
func idUser(ep model.Endpoint, conn int) model.IDUser {
	var s *model.Session
	switch e := ep.(type) {
	case *model.Session:
		s = e
	case *model.Broker:
		if conn < len(e.Sessions()) {
			s = e.Sessions()[conn]
		}
	}
	if s == nil {
		return nil
	}
	u, _ := s.Outbound().(model.IDUser)
	return u
}

// mapID records that the node's id real carries the model's id want.
func (c *candidate) mapID(conn int, real, want uint16) {
	if c.ids == nil {
		c.ids = map[int]map[uint16]uint16{}
	}
	if c.ids[conn] == nil {
		c.ids[conn] = map[uint16]uint16{}
	}
	c.ids[conn][real] = want
}

// mapped reports whether the model id want already stands for another id.
func (c *candidate) mapped(conn int, want uint16) bool {
	for _, m := range c.ids[conn] {
		if m == want {
			return true
		}
	}
	return false
}

// ownFlow reports whether a packet the node sends belongs to a flow it
// started (and so carries an id of its own choosing).
func ownFlow(t model.PacketType) bool {
	return t == model.PUBLISH || t == model.PUBREL || t == model.SUBSCRIBE
}

// isAck reports whether a packet acknowledges a flow its receiver started.
func isAck(t model.PacketType) bool {
	return t == model.PUBACK || t == model.PUBREC || t == model.PUBCOMP || t == model.SUBACK
}

// endsFlow reports whether an acknowledgement ends its flow, freeing the
// id. (A refusing PUBREC may or may not: unmapEnded asks the model.)
func endsFlow(p model.Packet) bool {
	return p.Type == model.PUBCOMP || p.Type == model.PUBACK || p.Type == model.SUBACK
}

// maxCandidates bounds a node's candidate set; the first ones (default
// options first) are kept.
const maxCandidates = 512

// nodeOracle is one node's candidates.
type nodeOracle struct {
	name   string
	broker bool
	hop    int      // a client's connection (its link index)
	conns  []string // the broker's connections, by client name
	cands  []*candidate
	// resumed marks connections whose session resumed and that have had
	// no input since, so that resends are told from repeats.
	resumed map[int]bool
	// matched is the owed output the last match consumed; overtaken maps
	// an owed packet that a later one of its type overtook to the label of
	// the one that did: when it comes, the order the spec fixes was not
	// kept (if it never comes, it is reported missing instead).
	matched   owed
	overtaken map[string]string
	// reported are the choices already reported as permitted.
	reported map[model.ChoiceKind]bool
	// cleanStart marks connections opened with Clean Start 1.
	cleanStart map[int]bool
}

// oracle judges one run.
type oracle struct {
	version model.Version
	nodes   map[string]*nodeOracle
	order   []string
	divs    []*Divergence
	steps   int
	// Deliveries to applications: per receiving node, per message.
	delivered map[string]map[uint32]int
	// The publisher's API: per message, "completed", "failed: ..." or "".
	outcome   map[uint32]string
	published map[uint32]string // message -> publishing node
	wantSubs  map[uint32][]string
	clients   []clientSpec
	// cause is the divergent frame the nodes are reacting to, if any;
	// rogue maps flows the model does not have to the divergence that
	// started them.
	cause *Divergence
	rogue map[string]*Divergence
}

// newOracle builds the candidates of every node of a run: the model under
// each packet id policy, every other choice open.
func newOracle(v model.Version, t sim.Topology, clean bool, clients []clientSpec) (*oracle, error) {
	o := &oracle{version: v, nodes: map[string]*nodeOracle{}, delivered: map[string]map[uint32]int{},
		outcome: map[uint32]string{}, published: map[uint32]string{}, wantSubs: map[uint32][]string{},
		clients: clients, rogue: map[string]*Divergence{}}
	for _, policy := range []model.IDPolicy{model.LowestFree, model.Sequential} {
		eps, err := newShadows(shadowConfig(v, policy, clean), t)
		if err != nil {
			return nil, err
		}
		for _, name := range t.Layout().Names() {
			n := o.nodes[name]
			if n == nil {
				n = &nodeOracle{name: name, resumed: map[int]bool{}, reported: map[model.ChoiceKind]bool{}, cleanStart: map[int]bool{},
					overtaken: map[string]string{}}
				_, n.broker = eps[name].(*model.Broker)
				o.nodes[name] = n
				o.order = append(o.order, name)
			}
			n.cands = append(n.cands, &candidate{ep: eps[name], idPolicy: policy, abandoned: map[uint32]bool{}, unrouted: map[uint32]bool{}})
		}
	}
	for i, c := range clients {
		o.nodes[c.node].hop = i
		o.nodes["broker"].conns = append(o.nodes["broker"].conns, c.node)
		o.delivered[c.node] = map[uint32]int{}
	}
	return o, nil
}

// input steps every candidate of node with in on connection conn, one new
// candidate per permitted outcome, and records what each owes.
func (o *oracle) input(node string, conn int, in model.Input, why string) {
	n := o.nodes[node]
	if in.Kind == model.InPacket {
		// A session resumes at CONNECT (Clean Start 0) or CONNACK
		// (Session Present 1); what the node sends before its next input
		// is its resend [MQTT-4.4.0-1].
		switch t := in.Packet.Type; {
		case t == model.CONNACK && in.Packet.SessionPresent, t == model.CONNECT && !in.Packet.CleanStart:
			n.resumed[conn] = true
		default:
			n.resumed[conn] = false
		}
	}
	if n.broker {
		in.Conn = uint8(conn)
	}
	o.steps++
	var next []*candidate
	seen := map[string]bool{}
	for _, c := range n.cands {
		cin := in
		var unmap *uint16
		if in.Kind == model.InPacket && isAck(in.Packet.Type) {
			cin.Packet = c.toModel(conn, in.Packet)
			if endsFlow(in.Packet) {
				id := in.Packet.ID
				unmap = &id
			}
		}
		outs, _ := model.Outcomes(c.ep, cin)
		for _, oc := range outs {
			nc := c.fork(oc.Next)
			if unmap != nil {
				delete(nc.ids[conn], *unmap)
				delete(nc.subIDs[conn], *unmap)
			}
			nc.unmapEnded(conn)
			o.owe(n, nc, oc.Out, why)
			if k := nc.key(); !seen[k] && len(next) < maxCandidates {
				seen[k] = true
				next = append(next, nc)
			}
		}
	}
	n.cands = next
}

// owe records a step's outputs in a candidate.
func (o *oracle) owe(n *nodeOracle, c *candidate, outs []model.Output, why string) {
	for _, out := range outs {
		conn := 0
		if n.broker {
			conn = int(out.Conn)
		}
		switch out.Kind {
		case model.OutSend:
			c.owes = append(c.owes, owed{conn: conn, packet: out.Packet, after: why})
		case model.OutDeliver:
			switch {
			case !n.broker:
				c.owes = append(c.owes, owed{conn: conn, deliver: out.Msg.Ref, after: why})
			case out.Note == model.NoSubscriber:
				c.unrouted[out.Msg.Ref] = true
			}
		case model.OutAbandon:
			c.abandoned[out.Msg.Ref] = true
		case model.OutChose:
			c.chose = append(c.chose, choiceRec{step: o.steps, kind: out.Choice, pick: out.Pick})
		}
	}
}

// sent matches a frame node sent on conn, and returns the divergence, if
// any, for the transcript to mark.
func (o *oracle) sent(node string, conn int, f *Frame, at int64) *Divergence {
	if f.Err != "" {
		return o.add(Divergence{Class: Protocol, Node: node, At: at, Did: "sent a malformed " + typeName(f.Packet.Type),
			Model: "well-formed packets", Statement: "MQTT-1.0.0-1", Why: f.Err})
	}
	if !modelled(f.Packet.Type) {
		return nil
	}
	n := o.nodes[node]
	got := f.Packet
	own := ownFlow(got.Type)
	if got.Type == model.CONNECT {
		n.cleanStart[conn] = got.CleanStart
	}
	exact := func(c *candidate, w owed) bool {
		p := got
		if own {
			p = c.toModel(conn, got)
		}
		return w.deliver == 0 && samePacket(w.packet, p)
	}
	d := o.match(n, conn, exact, func() Divergence { return o.unexpected(n, conn, f) })
	if d == nil {
		k := overtakeKey(conn, n.matched.packet)
		if first, ok := n.overtaken[k]; ok {
			delete(n.overtaken, k)
			if st, ok := orderStatements[got.Type]; ok {
				d = &Divergence{Class: Protocol, Node: node, Did: "sent " + first + " before " + got.Label() + o.onConn(n, conn),
					Model: "sends " + got.Label() + " first", Statement: st[0], Why: st[1], key: flowKey(n, conn, got)}
			}
		}
	}
	if d != nil && (got.Type == model.PUBLISH && !got.Dup && got.QoS > 0 || got.Type == model.SUBSCRIBE) {
		if alt := o.otherID(n, conn, got); alt != nil {
			d = alt
		}
	}
	if d != nil && d.Class != Permitted {
		if alt := o.insteadOf(n, conn, got, own); alt != nil {
			d = alt
		}
	}
	return o.conclude(n, d, at)
}

// otherID matches a new flow (PUBLISH with DUP 0, SUBSCRIBE) the model
// starts under another id: any unused id is allowed [MQTT-2.2.1-3], so the
// candidates follow the node's choice.
func (o *oracle) otherID(n *nodeOracle, conn int, got model.Packet) *Divergence {
	var want uint16
	remap := func(c *candidate, w owed) bool {
		p := w.packet
		if w.deliver != 0 || p.Type != got.Type || p.Dup || p.QoS != got.QoS || p.Msg.Ref != got.Msg.Ref || p.Msg.Topic != got.Msg.Topic {
			return false
		}
		if _, used := c.ids[conn][got.ID]; used || c.mapped(conn, p.ID) {
			return false
		}
		c.mapID(conn, got.ID, p.ID)
		if got.Type == model.SUBSCRIBE {
			c.markSub(conn, got.ID)
		}
		want = p.ID
		return true
	}
	if o.match(n, conn, remap, func() Divergence { return Divergence{} }) != nil {
		return nil
	}
	what := "m" + utoa(got.Msg.Ref)
	if got.Type == model.SUBSCRIBE {
		what = "its SUBSCRIBE"
	}
	return &Divergence{Class: Permitted, Node: n.name, Did: "chose packet id " + strconv.Itoa(int(got.ID)) + " for " + what + o.onConn(n, conn),
		Model: "id " + strconv.Itoa(int(want)), Statement: "MQTT-2.2.1-3", Why: "any unused packet id is allowed"}
}

// insteadOf matches a frame to an owed packet of the same type and id that
// differs in a field (a reason code, the DUP flag): one divergence, "sent
// this instead of that", rather than an unexpected packet and a missing one.
func (o *oracle) insteadOf(n *nodeOracle, conn int, got model.Packet, own bool) *Divergence {
	var want model.Packet
	alike := func(c *candidate, w owed) bool {
		p := got
		if own {
			p = c.toModel(conn, got)
		}
		if w.deliver != 0 || w.packet.Type != p.Type || w.packet.ID != p.ID || (p.Type == model.PUBLISH && w.packet.Msg.Ref != p.Msg.Ref) {
			return false
		}
		want = c.fromModel(conn, w.packet)
		return true
	}
	if o.match(n, conn, alike, func() Divergence { return Divergence{} }) != nil {
		return nil
	}
	d := Divergence{Class: Protocol, Node: n.name, Did: "sent " + got.Label() + o.onConn(n, conn), Model: "sends " + want.Label(),
		key: flowKey(n, conn, got)}
	d.Statement, d.Why = citeInstead(want, got)
	return &d
}

// permittedChoice reports a choice every remaining candidate of n made
// with an option other than the model's first: the node took another
// permitted option. Each kind is reported once per node and run.
func (o *oracle) permittedChoice(n *nodeOracle) *Divergence {
	for _, r := range n.cands[0].chose {
		pc, ok := permittedChoices[r.kind]
		if !ok || r.pick == 0 || n.reported[r.kind] || !allTook(n.cands, r) {
			continue
		}
		n.reported[r.kind] = true
		return &Divergence{Class: Permitted, Node: n.name, Did: pc.did, Model: "option " + strconv.Itoa(int(r.pick)) + " of choice " + r.kind.String(),
			Statement: pc.statement, Why: pc.why}
	}
	return nil
}

// allTook reports whether every candidate made choice r the same way.
func allTook(cands []*candidate, r choiceRec) bool {
	for _, c := range cands {
		found := false
		for _, q := range c.chose {
			if q.step == r.step && q.kind == r.kind {
				found = q.pick == r.pick
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// deliveredTo matches a message node's application got.
func (o *oracle) deliveredTo(node string, ref uint32, at int64) *Divergence {
	o.delivered[node][ref]++
	n := o.nodes[node]
	d := o.match(n, 0, func(_ *candidate, w owed) bool { return w.deliver == ref }, func() Divergence {
		d := Divergence{Class: Delivery, Node: node, Did: "delivered m" + utoa(ref) + " to its application", Model: "no delivery here"}
		if o.delivered[node][ref] > 1 {
			d.Did = "delivered m" + utoa(ref) + " again (delivery " + strconv.Itoa(o.delivered[node][ref]) + ")"
			d.Statement = "MQTT-4.3.3-10"
			d.Why = "a QoS 2 receiver must not deliver a message twice; until PUBREL a PUBLISH with a held id is the same message"
		}
		d.key = []string{"m" + utoa(ref)}
		return d
	})
	return o.conclude(n, d, at)
}

// conclude records what a match of node n at time at found: its divergence
// d, or else a permitted choice the match showed the node took.
func (o *oracle) conclude(n *nodeOracle, d *Divergence, at int64) *Divergence {
	if d == nil {
		d = o.permittedChoice(n)
	}
	if d == nil {
		return nil
	}
	d.At = at
	return o.add(*d)
}

// match removes the first owed output that fits from every candidate that
// has one and drops the candidates that have none, unless none has one:
// then it returns the divergence diverge describes, and all candidates
// stay.
func (o *oracle) match(n *nodeOracle, conn int, fits func(*candidate, owed) bool, diverge func() Divergence) *Divergence {
	var keep []*candidate
	for _, c := range n.cands {
		for i, w := range c.owes {
			if w.conn == conn && fits(c, w) {
				if len(keep) == 0 {
					n.matched = w
					if sk := earlierSameType(c.owes[:i], w); sk != nil {
						n.overtaken[overtakeKey(conn, *sk)] = c.fromModel(conn, w.packet).Label()
					}
				}
				c.owes = append(c.owes[:i:i], c.owes[i+1:]...)
				keep = append(keep, c)
				break
			}
		}
	}
	if len(keep) > 0 {
		n.cands = keep
		return nil
	}
	d := diverge()
	return &d
}

func overtakeKey(conn int, p model.Packet) string { return strconv.Itoa(conn) + " " + p.String() }

// earlierSameType finds an owed packet before w on w's connection of w's
// type.
func earlierSameType(before []owed, w owed) *model.Packet {
	for _, e := range before {
		if e.conn == w.conn && e.deliver == 0 && w.deliver == 0 && e.packet.Type == w.packet.Type {
			p := e.packet
			return &p
		}
	}
	return nil
}

// quiet is called when the system is at rest: whatever a candidate still
// owes was not produced. Candidates that owe nothing survive; if every
// candidate owes something, the first one's debts are divergences.
func (o *oracle) quiet(at int64) []*Divergence {
	var res []*Divergence
	for _, name := range o.order {
		n := o.nodes[name]
		var clear []*candidate
		for _, c := range n.cands {
			if len(c.owes) == 0 {
				clear = append(clear, c)
			}
		}
		if len(clear) > 0 {
			n.cands = clear
			if d := o.permittedChoice(n); d != nil {
				d.At = at
				res = append(res, o.add(*d))
			}
			continue
		}
		for _, w := range n.cands[0].owes {
			d := o.missing(n, w)
			d.At = at
			res = append(res, o.add(d))
		}
		for _, c := range n.cands {
			c.owes = nil
		}
	}
	return res
}

// connDown tells both ends' candidates that a connection is gone; what they
// owed on it can no longer be sent.
func (o *oracle) connDown(client string, conn int) {
	o.input(client, 0, model.Input{Kind: model.InConnDown}, "the connection broke")
	o.input("broker", conn, model.Input{Kind: model.InConnDown}, "the connection broke")
	for _, pair := range []struct {
		node string
		conn int
	}{{client, 0}, {"broker", conn}} {
		for _, c := range o.nodes[pair.node].cands {
			kept := c.owes[:0]
			for _, w := range c.owes {
				if w.conn != pair.conn || w.deliver != 0 {
					kept = append(kept, w)
				}
			}
			c.owes = kept
		}
	}
}

// add records a divergence. A protocol divergence is a consequence when
// the node was reacting to a frame that itself diverged (o.cause), or when
// it belongs to a flow that exists only because of an earlier divergence.
func (o *oracle) add(d Divergence) *Divergence {
	if o.version == model.V311 {
		if alt, ok := statements311[d.Statement]; ok {
			d.Statement += " (3.1.1: " + alt + ")"
		}
	}
	if d.Class == Protocol {
		cause := o.cause
		for _, k := range d.key {
			if r, ok := o.rogue[k]; ok && cause == nil {
				cause = r
			}
		}
		if cause != nil {
			d.Class, d.cause = Consequence, root(cause)
		}
	}
	o.divs = append(o.divs, &d)
	if d.Class == Protocol && d.rogue {
		for _, k := range d.key {
			o.rogue[k] = &d
		}
	}
	return &d
}

// root follows consequences back to the divergence they all come from.
func root(d *Divergence) *Divergence {
	for d.cause != nil {
		d = d.cause
	}
	return d
}

// setCause tells the oracle which divergent frame (if any) the nodes are
// now reacting to.
func (o *oracle) setCause(divs []*Divergence) {
	o.cause = nil
	for _, d := range divs {
		if d.Class == Protocol || d.Class == Consequence {
			o.cause = d
			return
		}
	}
}

// modelled reports whether the model judges packets of type t.
func modelled(t model.PacketType) bool {
	switch t {
	case model.CONNECT, model.CONNACK, model.PUBLISH, model.PUBACK, model.PUBREC, model.PUBREL, model.PUBCOMP, model.SUBSCRIBE, model.SUBACK:
		return true
	}
	return false
}

// samePacket reports whether a real packet is the one the model sends:
// the fields the protocol reads, and the message a PUBLISH carries.
func samePacket(want, got model.Packet) bool {
	if want.Type != got.Type {
		return false
	}
	switch want.Type {
	case model.CONNECT:
		return want.CleanStart == got.CleanStart
	case model.CONNACK:
		return want.SessionPresent == got.SessionPresent && want.Reason == got.Reason
	case model.PUBLISH:
		return want.ID == got.ID && want.QoS == got.QoS && want.Dup == got.Dup && want.Msg.Ref == got.Msg.Ref && want.Msg.Topic == got.Msg.Topic
	case model.SUBSCRIBE:
		return want.ID == got.ID && want.QoS == got.QoS && want.Msg.Topic == got.Msg.Topic
	case model.SUBACK:
		return want.ID == got.ID && want.QoS == got.QoS
	}
	return want.ID == got.ID && want.Reason == got.Reason
}

// flowKey names the flow a packet that node n sends or receives on conn
// belongs to: its connection (by hop), the side that started it, and the
// packet id — the same for PUBLISH, PUBREC, PUBREL and PUBCOMP of one flow.
func flowKey(n *nodeOracle, conn int, p model.Packet) []string {
	keys := []string{}
	if p.ID != 0 {
		hop := n.hop
		if n.broker {
			hop = conn
		}
		origin := n.broker // the broker started the flow...
		if isAck(p.Type) {
			origin = !origin // ...unless this is its peer's acknowledgement
		}
		side := "client"
		if origin {
			side = "broker"
		}
		keys = append(keys, "hop"+strconv.Itoa(hop)+"/"+side+"/id"+strconv.Itoa(int(p.ID)))
	}
	if p.Msg.Ref != 0 {
		keys = append(keys, "m"+utoa(p.Msg.Ref))
	}
	return keys
}

// unexpected describes a frame no candidate would send.
func (o *oracle) unexpected(n *nodeOracle, conn int, f *Frame) Divergence {
	p := f.Packet
	d := Divergence{Class: Protocol, Node: n.name, Did: "sent " + p.Label() + o.onConn(n, conn), key: flowKey(n, conn, p)}
	c := n.cands[0]
	var same []string
	for _, w := range c.owes {
		if w.conn == conn && w.deliver == 0 {
			same = append(same, c.fromModel(conn, w.packet).Label())
		}
	}
	d.Model = "sends nothing here"
	if len(same) > 0 {
		d.Model = "sends " + strings.Join(same, ", ")
	}
	d.Statement, d.Why = citeUnexpected(p, n.resumed[conn])
	if p.Type == model.PUBLISH && p.Dup && n.cleanStart[conn] {
		d.Statement, d.Why = "MQTT-3.1.2-4", "a clean start discards the session: its unacknowledged messages are not resent"
	}
	// A PUBLISH the model does not send, other than a resend of a flow
	// it has, starts a flow the model does not know.
	d.rogue = p.Type == model.PUBLISH && owesType(c, conn, model.PUBLISH) == nil
	if p.Type == model.PUBLISH && !p.Dup && p.Msg.Ref != 0 && n.broker {
		d.Why = "the broker forwards a message it already forwarded: a new PUBLISH (DUP 0) for m" + utoa(p.Msg.Ref)
		d.Statement = "MQTT-4.3.3-10"
	}
	return d
}

// owesType returns the candidate's owed packet of type t on conn, if any.
func owesType(c *candidate, conn int, t model.PacketType) *model.Packet {
	for _, w := range c.owes {
		if w.conn == conn && w.deliver == 0 && w.packet.Type == t {
			return &w.packet
		}
	}
	return nil
}

func (o *oracle) onConn(n *nodeOracle, conn int) string {
	if !n.broker {
		return ""
	}
	return " to " + n.conns[conn]
}

// missing describes an output the model owed and the node never produced.
func (o *oracle) missing(n *nodeOracle, w owed) Divergence {
	d := Divergence{Class: Protocol, Node: n.name, Model: w.String() + " (answering " + w.after + ")"}
	if w.deliver != 0 {
		d.Class = Delivery
		d.Did = "did not deliver m" + utoa(w.deliver)
		d.key = []string{"m" + utoa(w.deliver)}
		d.Statement = "MQTT-4.3.3-8"
		d.Why = "the receiver took ownership of the message and must deliver it once"
		return d
	}
	p := n.cands[0].fromModel(w.conn, w.packet)
	d.Model = "send " + p.Label() + " (answering " + w.after + ")"
	d.Did = "did not send " + p.Label() + o.onConn(n, w.conn)
	d.key = flowKey(n, w.conn, w.packet)
	d.Statement, d.Why = citeMissing(w.packet)
	return d
}

// publishedBy records that node handed message ref for topic to its
// client, and which nodes' applications are owed it.
func (o *oracle) publishedBy(node string, ref uint32, topic string) {
	o.published[ref] = node
	for _, c := range o.clients {
		if c.subscribe != "" && model.MatchTopic(c.subscribe, topic) {
			o.wantSubs[ref] = append(o.wantSubs[ref], c.node)
		}
	}
}

// reported records what the publisher's API said about a message.
func (o *oracle) reported(ref uint32, result string) { o.outcome[ref] = result }

// fate reports whether the model itself gave up on message ref: a sender
// abandoned it (a session discarded, a refusal) or the broker had no
// subscriber for it. A loss or a failure report the model shares is not
// the implementation's.
func (o *oracle) fate(ref uint32) bool {
	for _, name := range o.order {
		c := o.nodes[name].cands[0]
		if c.abandoned[ref] || c.unrouted[ref] {
			return true
		}
	}
	return false
}

// modelOutcome says how the publisher's model ended message ref's flow.
func (o *oracle) modelOutcome(ref uint32) string {
	if c := o.nodes[o.published[ref]].cands[0]; c.abandoned[ref] {
		return " (the model abandoned it)"
	}
	return ""
}

// finish judges deliveries against the publishers' reports once the run is
// over: every message at most once at each subscriber, one the publisher
// was told completed delivered, and one delivered not reported failed —
// the last two unless the model itself gave the message up.
func (o *oracle) finish(stopped bool) {
	refs := make([]uint32, 0, len(o.published))
	for r := range o.published {
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i] < refs[j] })
	for _, ref := range refs {
		for _, sub := range o.wantSubs[ref] {
			o.judge(sub, ref, stopped)
		}
	}
}

func (o *oracle) judge(sub string, ref uint32, stopped bool) {
	n := o.delivered[sub][ref]
	out := o.outcome[ref]
	m := "m" + utoa(ref)
	for _, d := range o.divs {
		if d.Class == Delivery && shareKey(d.key, []string{m}) {
			return // judged already
		}
	}
	if n <= 1 && o.fate(ref) {
		return
	}
	d := Divergence{Class: Delivery, Node: sub, key: []string{m}}
	switch {
	case n > 1:
		// The model's own candidates may have followed a flow that should
		// not exist (a PUBLISH resent after PUBREL is a new message to the
		// broker): whatever the cause, one message reached the
		// application twice.
		d.Did, d.Model, d.Statement = m+" delivered "+strconv.Itoa(n)+" times", "exactly once", "MQTT-4.3.3-10"
	case n >= 1 && strings.HasPrefix(out, "failed"):
		d.Node = o.published[ref]
		d.Did, d.Model = m+" reported to the publisher as "+out, "completed: it was delivered"
		d.Why = "the application was told a delivered message failed, so it may publish it again"
	case n == 0 && out == "completed":
		d.Did, d.Model, d.Statement = m+" never delivered, but the publisher was told it completed", "delivered once", "MQTT-4.3.3-8"
	case n == 0 && !strings.HasPrefix(out, "failed") && !stopped:
		d.Did, d.Model = m+" never delivered", "delivered once"
	default:
		return
	}
	o.add(d)
}

func shareKey(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func utoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// settled reports whether some candidate of every node has nothing left
// to do.
func (o *oracle) settled() bool {
	for _, name := range o.order {
		if len(o.nodes[name].cands[0].ep.Pending(nil)) > 0 {
			return false
		}
	}
	return true
}

// pending lists what the models still have to do, per node.
func (o *oracle) pending() []string {
	var res []string
	for _, name := range o.order {
		for _, p := range o.nodes[name].cands[0].ep.Pending(nil) {
			res = append(res, name+": "+p)
		}
	}
	return res
}

// choicesLeft says, per node, how the model's open choices fell: the packet
// id policy and the options other than the first that the node took.
func (o *oracle) choicesLeft() []string {
	var res []string
	for _, name := range o.order {
		c := o.nodes[name].cands[0]
		parts := []string{"ids " + c.idPolicy.String()}
		seen := map[string]bool{}
		for _, r := range c.chose {
			if r.pick == 0 {
				continue
			}
			s := r.kind.String() + "=" + strconv.Itoa(int(r.pick))
			if !seen[s] {
				seen[s] = true
				parts = append(parts, s)
			}
		}
		res = append(res, name+": "+strings.Join(parts, ", "))
	}
	return res
}
