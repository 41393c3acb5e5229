package conformance

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/model"
)

// The oracle. Each node (every client, and the broker) has a set of
// candidates: shadow models under one combination of the choices the
// model leaves open, each with the outputs it owes — packets it will send
// and messages it will hand to its application. Frames a node receives
// step every candidate; frames it sends and messages it delivers are
// matched against what each candidate owes. A candidate that cannot
// explain an observation is dropped; when none can, the observation is a
// divergence, classified and kept, and the candidates carry on (they were
// stepped with what the node really received, so a divergence does not
// cascade into the rest of the run). When the system is quiet, what a
// candidate still owes was never sent: a divergence too, unless another
// candidate owes nothing.

// Class is how serious a divergence is.
type Class uint8

const (
	// Consequence follows from an earlier divergence in the same run (the
	// same flow or message).
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

// Divergence is one place where a real implementation did what the model
// does not allow (or, for Permitted, allows but does not do by default).
type Divergence struct {
	Class Class  `json:"class"`
	Node  string `json:"node"` // who diverged: broker, publisher, subscriber, ...
	Step  int    `json:"step"` // the transcript line it concerns (1-based; 0: the end of the run)
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

// candidate is one shadow of a node and what it owes.
type candidate struct {
	choice choice
	sh     shadow
	owes   []owed
	// ids maps, per connection, a packet id the node chose for one of its
	// own publications to the id the model chose for it. Any unused id is
	// allowed [MQTT-2.2.1-3]; the map lets the model follow the node's
	// choice until the flow ends.
	ids map[int]map[uint16]uint16
}

// toModel translates a packet of the node's own publication flows (a
// PUBLISH or PUBREL it sent, a PUBACK, PUBREC or PUBCOMP it received) to the
// model's ids.
func (c *candidate) toModel(conn int, p model.Packet) model.Packet {
	if m, ok := c.ids[conn][p.ID]; ok {
		p.ID = m
	}
	return p
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

// endsFlow reports whether an acknowledgement the node received ends its
// publication's flow, freeing the id [MQTT-2.2.1-3].
func endsFlow(p model.Packet) bool {
	return p.Type == model.PUBCOMP || p.Type == model.PUBACK || (p.Type == model.PUBREC && p.Reason >= 0x80)
}

// isAck reports whether a packet acknowledges a publication of its receiver.
func isAck(t model.PacketType) bool {
	return t == model.PUBACK || t == model.PUBREC || t == model.PUBCOMP
}

// owed is an output a candidate's model produced and the node has not
// been seen to produce yet.
type owed struct {
	conn    int
	packet  model.Packet // a send
	deliver uint32       // or a delivery to the application (message ref)
	after   string       // what it answers, for reports
}

func (o owed) String() string {
	if o.deliver != 0 {
		return "deliver m" + strconv.FormatUint(uint64(o.deliver), 10)
	}
	return "send " + o.packet.Label()
}

// nodeOracle is one node's candidates.
type nodeOracle struct {
	name  string
	hop   int      // a client's hop (its index in the run)
	conns []string // connection names, for reports (a client has one)
	cands []*candidate
	// resumed marks connections whose session resumed and that have
	// had no input since, so that resends are told from repeats.
	resumed map[int]bool
	// skipped is, after a match, an owed packet of the same type that
	// the matched one overtook: the order the spec fixes was not kept.
	skipped *model.Packet
}

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

// orderStatements are the statements that fix the order of each type
// [MQTT-4.6.0-1] to [MQTT-4.6.0-4].
var orderStatements = map[model.PacketType][2]string{
	model.PUBLISH: {"MQTT-4.6.0-1", "PUBLISH packets are resent in the order they were first sent"},
	model.PUBACK:  {"MQTT-4.6.0-2", "PUBACKs go out in the order the PUBLISH packets came in"},
	model.PUBREC:  {"MQTT-4.6.0-3", "PUBRECs go out in the order the PUBLISH packets came in"},
	model.PUBREL:  {"MQTT-4.6.0-4", "PUBRELs go out in the order the PUBRECs came in"},
}

// oracle judges one run.
type oracle struct {
	version model.Version
	nodes   map[string]*nodeOracle
	order   []string
	divs    []*Divergence
	// Deliveries to applications: per subscriber node, per message.
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

// newOracle builds the candidates of every node of a run.
func newOracle(cfg model.Config, clients []clientSpec) (*oracle, error) {
	o := &oracle{version: cfg.Version, nodes: map[string]*nodeOracle{}, delivered: map[string]map[uint32]int{},
		outcome: map[uint32]string{}, published: map[uint32]string{}, wantSubs: map[uint32][]string{}, clients: clients,
		rogue: map[string]*Divergence{}}
	cfg.Mode = model.Stream
	broker := &nodeOracle{name: "broker", resumed: map[int]bool{}}
	for _, c := range clients {
		broker.conns = append(broker.conns, c.node)
	}
	for _, ch := range choices() {
		sh, err := newBrokerShadow(cfg, ch, clients)
		if err != nil {
			return nil, err
		}
		broker.cands = append(broker.cands, &candidate{choice: ch, sh: sh})
	}
	for i, c := range clients {
		n := &nodeOracle{name: c.node, hop: i, conns: []string{"broker"}, resumed: map[int]bool{}}
		for _, ch := range choices() {
			sh, err := newClientShadow(cfg, ch, c.publishes, len(c.subscribe) > 0)
			if err != nil {
				return nil, err
			}
			n.cands = append(n.cands, &candidate{choice: ch, sh: sh})
		}
		o.nodes[c.node] = n
		o.order = append(o.order, c.node)
		o.delivered[c.node] = map[uint32]int{}
	}
	o.nodes["broker"] = broker
	o.order = append(o.order, "broker")
	return o, nil
}

// input steps every candidate of node with in on connection conn and
// records what each now owes.
func (o *oracle) input(node string, conn int, in model.Input, why string) {
	n := o.nodes[node]
	if in.Kind == model.InPacket {
		// A session resumes at CONNECT (Clean Start 0) or CONNACK
		// (Session Present 1); what the node sends before its next
		// input is its resend [MQTT-4.4.0-1].
		switch t := in.Packet.Type; {
		case t == model.CONNACK && in.Packet.SessionPresent, t == model.CONNECT && !in.Packet.CleanStart:
			n.resumed[conn] = true
		default:
			n.resumed[conn] = false
		}
	}
	for _, c := range n.cands {
		cin := in
		if in.Kind == model.InPacket && isAck(in.Packet.Type) {
			cin.Packet = c.toModel(conn, in.Packet)
			if endsFlow(in.Packet) {
				delete(c.ids[conn], in.Packet.ID)
			}
		}
		for _, so := range c.sh.step(conn, cin) {
			switch so.out.Kind {
			case model.OutSend:
				c.owes = append(c.owes, owed{conn: so.conn, packet: so.out.Packet, after: why})
			case model.OutDeliver:
				c.owes = append(c.owes, owed{conn: so.conn, deliver: so.out.Msg.Ref, after: why})
			}
		}
	}
}

// sent matches a frame node sent on conn. It reports the divergence, if
// any, so that the transcript can mark it.
func (o *oracle) sent(node string, conn int, f *Frame, step int, at int64) *Divergence {
	if f.Err != "" {
		return o.add(Divergence{Class: Protocol, Node: node, Step: step, At: at, Did: "sent a malformed " + typeName(f.Packet.Type),
			Model: "well-formed packets", Statement: "MQTT-1.0.0-1", Why: f.Err})
	}
	if !modelled(f.Packet.Type) {
		return nil
	}
	n := o.nodes[node]
	got := f.Packet
	own := got.Type == model.PUBLISH || got.Type == model.PUBREL
	exact := func(c *candidate, w owed) bool {
		p := got
		if own {
			p = c.toModel(conn, got)
		}
		return w.deliver == 0 && samePacket(w.packet, p)
	}
	d := o.match(n, conn, exact, func() Divergence { return o.unexpected(n, conn, f) })
	if d == nil && n.skipped != nil {
		if st, ok := orderStatements[got.Type]; ok {
			d = &Divergence{Class: Protocol, Node: node, Did: "sent " + got.Label() + " before " + n.skipped.Label() + o.onConn(n, conn),
				Model: "sends " + n.skipped.Label() + " first", Statement: st[0], Why: st[1], key: flowKey(n, conn, got)}
		}
	}
	if d != nil && got.Type == model.PUBLISH && !got.Dup && got.QoS > 0 {
		// The model would send this message under another id: any unused
		// id is allowed [MQTT-2.2.1-3], so follow the node's choice.
		var want uint16
		remap := func(c *candidate, w owed) bool {
			p := w.packet
			if w.deliver != 0 || p.Type != model.PUBLISH || p.Dup || p.QoS != got.QoS || p.Msg.Ref != got.Msg.Ref {
				return false
			}
			if _, used := c.ids[conn][got.ID]; used || c.mapped(conn, p.ID) {
				return false
			}
			c.mapID(conn, got.ID, p.ID)
			want = p.ID
			return true
		}
		if o.match(n, conn, remap, func() Divergence { return Divergence{} }) == nil {
			d = &Divergence{Class: Permitted, Node: node, Did: "chose packet id " + strconv.Itoa(int(got.ID)) + " for m" + utoa(got.Msg.Ref) + o.onConn(n, conn),
				Model: "id " + strconv.Itoa(int(want)), Statement: "MQTT-2.2.1-3", Why: "any unused packet id is allowed"}
		}
	}
	if d != nil && d.Class != Permitted {
		if alt := o.insteadOf(n, conn, got, own); alt != nil {
			d = alt
		}
	}
	if d != nil {
		d.Step, d.At = step, at
		return o.add(*d)
	}
	return nil
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
		want = w.packet
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

// citeInstead names the statement a packet breaks that differs from the
// one the model sends in a field.
func citeInstead(want, got model.Packet) (string, string) {
	switch {
	case got.Type == model.PUBREC && want.Reason < 0x80 && got.Reason >= 0x80:
		return "MQTT-4.3.3-10", "until PUBREL, a PUBLISH with a held id is the same message and must be acknowledged; a refusing PUBREC (0x" +
			strconv.FormatUint(uint64(got.Reason), 16) + ") ends the sender's flow as failed [MQTT-4.4.0-2] though the message was taken"
	case got.Type == model.PUBREC:
		return "MQTT-4.3.3-8", "the model answers this PUBLISH with reason 0x" + strconv.FormatUint(uint64(want.Reason), 16)
	case got.Type == model.PUBCOMP:
		return "MQTT-4.3.3-11", "the model answers this PUBREL with reason 0x" + strconv.FormatUint(uint64(want.Reason), 16)
	case got.Type == model.PUBLISH && got.Dup != want.Dup:
		if want.Dup {
			return "MQTT-3.3.1-1", "a PUBLISH sent again carries DUP 1"
		}
		return "MQTT-4.3.3-2", "a new PUBLISH carries DUP 0"
	case got.Type == model.CONNACK:
		return "MQTT-3.2.2-3", "Session Present is 1 exactly when the server resumes a session the client asked to keep"
	}
	return citeUnexpected(got, false, &want, model.V5)
}

// delivered matches a message node's application got.
func (o *oracle) deliveredTo(node string, ref uint32, step int, at int64) *Divergence {
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
	if d != nil {
		d.Step, d.At = step, at
		return o.add(*d)
	}
	return nil
}

// match removes the first owed output that fits from every candidate that
// has one and drops the candidates that have none, unless none has one:
// then it returns the divergence diverge describes, and all candidates
// stay.
func (o *oracle) match(n *nodeOracle, conn int, fits func(*candidate, owed) bool, diverge func() Divergence) *Divergence {
	var keep []*candidate
	n.skipped = nil
	for _, c := range n.cands {
		for i, w := range c.owes {
			if w.conn == conn && fits(c, w) {
				if len(keep) == 0 {
					n.skipped = earlierSameType(c.owes[:i], w)
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

// quiet is called when the system is at rest: whatever a candidate still
// owes was not produced. Candidates that owe nothing survive; if every
// candidate owes something, the first one's debts are divergences.
func (o *oracle) quiet(step int, at int64) []*Divergence {
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
			continue
		}
		for _, w := range n.cands[0].owes {
			d := o.missing(n, w)
			d.Step, d.At = step, at
			res = append(res, o.add(d))
		}
		for _, c := range n.cands {
			c.owes = nil
		}
	}
	return res
}

// connDown tells both ends' candidates that a connection is gone.
func (o *oracle) connDown(client string, conn int) {
	o.input(client, 0, model.Input{Kind: model.InConnDown}, "the connection broke")
	o.input("broker", conn, model.Input{Kind: model.InConnDown}, "the connection broke")
	// What they owed on the connection can no longer be sent.
	for _, pair := range []struct {
		node string
		conn int
	}{{client, 0}, {"broker", conn}} {
		n := o.nodes[pair.node]
		for _, c := range n.cands {
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
// it belongs to a flow that exists only because of an earlier divergence
// (a PUBLISH the model never sends starts a flow the model does not have).
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

// statements311 are the MQTT 3.1.1 numbers of statements cited by their
// MQTT 5.0 number (docs/spec-table.md).
var statements311 = map[string]string{
	"MQTT-2.2.1-3":  "MQTT-2.3.1-2",
	"MQTT-3.2.2-3":  "MQTT-3.2.2-2",
	"MQTT-4.3.3-2":  "MQTT-4.3.3-1",
	"MQTT-4.3.3-4":  "MQTT-4.3.3-1",
	"MQTT-4.3.3-6":  "MQTT-4.3.3-1",
	"MQTT-4.3.3-8":  "MQTT-4.3.3-2",
	"MQTT-4.3.3-10": "MQTT-4.3.3-2",
	"MQTT-4.3.3-11": "MQTT-4.3.3-2",
	"MQTT-4.3.3-12": "MQTT-4.3.3-2",
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

// modelled reports whether today's model judges packets of type t.
func modelled(t model.PacketType) bool {
	switch t {
	case model.CONNECT, model.CONNACK, model.PUBLISH, model.PUBACK, model.PUBREC, model.PUBREL, model.PUBCOMP:
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
		return want.ID == got.ID && want.QoS == got.QoS && want.Dup == got.Dup && want.Msg.Ref == got.Msg.Ref
	}
	return want.ID == got.ID && want.Reason == got.Reason
}

// flowKey names the flow a packet that node n sends or receives on conn
// belongs to: its connection (by hop), the side that published, and the
// packet id — the same for PUBLISH, PUBREC, PUBREL and PUBCOMP of one flow.
func flowKey(n *nodeOracle, conn int, p model.Packet) []string {
	keys := []string{}
	if p.ID != 0 {
		hop := n.hop
		if n.name == "broker" {
			hop = conn
		}
		origin := n.name == "broker" // the broker published the flow...
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
			same = append(same, w.packet.Label())
		}
	}
	if len(same) > 0 {
		d.Model = "sends " + strings.Join(same, ", ")
	} else {
		d.Model = "sends nothing here"
	}
	d.Statement, d.Why = citeUnexpected(p, n.resumed[conn], owesType(c, conn, p.Type), o.version)
	// A PUBLISH the model does not send, other than a resend of a flow
	// it has, starts a flow the model does not know.
	d.rogue = p.Type == model.PUBLISH && owesType(c, conn, model.PUBLISH) == nil
	if d.Class == Protocol && p.Type == model.PUBLISH && !p.Dup && p.Msg.Ref != 0 && n.name == "broker" {
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
	if n.name != "broker" {
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
	d.Did = "did not send " + w.packet.Label() + o.onConn(n, w.conn)
	d.key = flowKey(n, w.conn, w.packet)
	d.Statement, d.Why = citeMissing(w.packet, o.version)
	return d
}

// citeUnexpected names the statement a packet the model would not send
// breaks, and why.
func citeUnexpected(p model.Packet, resumed bool, owedSame *model.Packet, v model.Version) (string, string) {
	switch p.Type {
	case model.PUBLISH:
		if p.Dup && !resumed {
			return "MQTT-4.4.0-1", "a PUBLISH is resent only when a session resumes on a new connection, never at any other time"
		}
		if p.Dup {
			return "MQTT-4.3.3-6", "a PUBLISH resent that the model does not resend here: once PUBREL was sent (or the flow ended) the PUBLISH must not be sent again"
		}
		return "MQTT-2.2.1-3", "a new PUBLISH the model does not send here (its packet id or its message differ)"
	case model.PUBREC:
		if resumed {
			return "MQTT-4.4.0-1", "a PUBREC repeated on resume: the session's resend is of unacknowledged PUBLISH and PUBREL packets (today's model does not offer repeating PUBREC as a choice)"
		}
		return "MQTT-4.3.3-8", "a PUBREC answers a PUBLISH; the model sends none here"
	case model.PUBREL:
		if resumed {
			return "MQTT-4.4.0-1", "on resume only unacknowledged PUBLISH and PUBREL packets are resent"
		}
		return "MQTT-4.3.3-4", "a PUBREL answers a PUBREC; the model sends none here"
	case model.PUBCOMP:
		if owedSame != nil && owedSame.Reason != p.Reason {
			return "MQTT-4.3.3-11", "the model answers with reason 0x" + strconv.FormatUint(uint64(owedSame.Reason), 16)
		}
		return "MQTT-4.3.3-11", "a PUBCOMP answers a PUBREL; the model sends none here"
	case model.CONNACK:
		return "MQTT-3.2.2-2", "Session Present must say whether the server kept the session"
	case model.CONNECT:
		return "MQTT-3.1.2-4", "the client must ask to resume its session (Clean Start 0)"
	case model.PUBACK:
		return "MQTT-4.3.2-4", "a PUBACK answers a QoS 1 PUBLISH only"
	}
	return "", ""
}

// citeMissing names the statement an owed packet that never came breaks.
func citeMissing(p model.Packet, v model.Version) (string, string) {
	switch p.Type {
	case model.PUBLISH:
		if p.Dup {
			return "MQTT-4.4.0-1", "an unacknowledged PUBLISH must be resent when the session resumes"
		}
		return "MQTT-4.3.3-1", "the message was accepted for delivery but never sent"
	case model.PUBREL:
		return "MQTT-4.3.3-4", "PUBREC must be answered with PUBREL (and an unacknowledged PUBREL resent on resume [MQTT-4.4.0-1])"
	case model.PUBREC:
		return "MQTT-4.3.3-10", "every PUBLISH of a QoS 2 flow must be answered with PUBREC until PUBREL"
	case model.PUBCOMP:
		return "MQTT-4.3.3-11", "PUBREL must be answered with PUBCOMP"
	case model.CONNACK:
		return "MQTT-3.2.0-1", "CONNECT must be answered with CONNACK"
	case model.CONNECT:
		return "MQTT-3.1.0-1", "a client configured to reconnect must send CONNECT first"
	}
	return "", ""
}

// publishedBy records that node handed message ref for topic to its
// client, and which subscribers are owed it.
func (o *oracle) publishedBy(node string, ref uint32, topic string) {
	o.published[ref] = node
	for _, c := range o.clients {
		for _, f := range c.subscribe {
			if topicMatch(f.Topic, topic) {
				o.wantSubs[ref] = append(o.wantSubs[ref], c.node)
				break
			}
		}
	}
}

// reported records what the publisher's API said about a message.
func (o *oracle) reported(ref uint32, result string) {
	o.outcome[ref] = result
}

// finish judges deliveries against the publishers' reports once the run is
// over: every message exactly once at each subscriber that wants it, and
// none delivered while its publisher was told it failed.
func (o *oracle) finish(step int, at int64, stopped bool) {
	refs := make([]uint32, 0, len(o.published))
	for r := range o.published {
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i] < refs[j] })
	for _, ref := range refs {
		for _, sub := range o.wantSubs[ref] {
			o.judge(sub, ref, step, at, stopped)
		}
	}
}

func (o *oracle) judge(sub string, ref uint32, step int, at int64, stopped bool) {
	n := o.delivered[sub][ref]
	out := o.outcome[ref]
	m := "m" + utoa(ref)
	flagged := func() bool {
		for _, d := range o.divs {
			if d.Class == Delivery && shareKey(d.key, []string{m}) {
				return true
			}
		}
		return false
	}
	d := Divergence{Class: Delivery, Node: sub, Step: step, At: at, key: []string{m}}
	switch {
	case n > 1:
		if flagged() {
			return
		}
		d.Did, d.Model, d.Statement = m+" delivered "+strconv.Itoa(n)+" times", "exactly once", "MQTT-4.3.3-10"
	case n == 1 && strings.HasPrefix(out, "failed"):
		d.Node = o.published[ref]
		d.Did, d.Model = m+" reported to the publisher as "+out, "completed: it was delivered"
		d.Why = "the application was told a delivered message failed, so it may publish it again"
	case n == 0 && out == "completed":
		d.Did, d.Model, d.Statement = m+" never delivered, but the publisher was told it completed", "delivered once", "MQTT-4.3.3-8"
	case n == 0 && !strings.HasPrefix(out, "failed"):
		if flagged() || stopped {
			return // a run that stopped reports the message as pending
		}
		d.Did, d.Model = m+" never delivered", "delivered once"
	default:
		return
	}
	o.add(d)
}

func utoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// settled reports whether every node's model has nothing left to do.
func (o *oracle) settled() bool {
	for _, name := range o.order {
		if !o.nodes[name].cands[0].sh.settled() {
			return false
		}
	}
	return true
}

// pending lists what the models still have to do, per node.
func (o *oracle) pending() []string {
	var res []string
	for _, name := range o.order {
		for _, p := range o.nodes[name].cands[0].sh.pending() {
			res = append(res, name+": "+p)
		}
	}
	return res
}

// choices reports, per node, the choices still consistent with the run.
func (o *oracle) choicesLeft() []string {
	var res []string
	for _, name := range o.order {
		n := o.nodes[name]
		parts := make([]string, len(n.cands))
		for i, c := range n.cands {
			parts[i] = c.choice.String()
		}
		res = append(res, fmt.Sprintf("%s: %s", name, strings.Join(parts, " | ")))
	}
	return res
}
