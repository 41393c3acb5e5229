package conformance

import (
	"strings"

	"github.com/qoslab/qoslab/model"
)

// Shadows are the model's view of one node, stepped with the inputs the
// real node received. A shadow answers one question: given what this node
// was sent, what may it send, deliver and report next? The oracle keeps,
// per node, every shadow still consistent with what the node did: the
// model's choices (which QoS 2 receiver method, which packet id policy)
// are a set, narrowed by each observation.
//
// The shadows below assemble today's model endpoints (one direction each:
// model.Variant's NewSender/NewReceiver) into sessions: a connection's
// PUBLISH and PUBREL go to its receiving endpoint, PUBACK/PUBREC/PUBCOMP to
// its sending one, CONNECT/CONNACK to both [MQTT-2.2.1-3]: each direction
// has its own packet ids. When model.Session and model.Broker land, a
// shadow is one of those, and its choices come from model.Outcomes.

// shadow is one node's model.
type shadow interface {
	// step applies in, which concerns the node's connection conn (a
	// client has one, numbered 0; the broker one per client), and
	// returns what the model does, each output tagged with its connection.
	step(conn int, in model.Input) []shadowOut
	clone() shadow
	// pending lists the model's unfinished business, for reports.
	pending() []string
	// settled reports whether nothing is left to do.
	settled() bool
}

// shadowOut is one output of a shadow and the connection it concerns.
type shadowOut struct {
	conn int
	out  model.Output
}

// session is one MQTT connection's two directions: out sends this side's
// publications, in receives the peer's. Either may be nil.
type session struct {
	out, in model.Endpoint
}

func (s *session) clone() session {
	c := session{}
	if s.out != nil {
		c.out = s.out.Clone()
	}
	if s.in != nil {
		c.in = s.in.Clone()
	}
	return c
}

// halves lists the session's endpoints, the sending one first.
func (s *session) halves() []model.Endpoint {
	var hs []model.Endpoint
	if s.out != nil {
		hs = append(hs, s.out)
	}
	if s.in != nil {
		hs = append(hs, s.in)
	}
	return hs
}

// step routes in to the halves it concerns. Connection events and the
// handshake go to both; the handshake packet both would send (CONNECT,
// CONNACK) goes out once.
func (s *session) step(in model.Input) []model.Output {
	var targets []model.Endpoint
	switch {
	case in.Kind == model.InPublish:
		targets = []model.Endpoint{s.out}
	case in.Kind == model.InPacket && (in.Packet.Type == model.PUBLISH || in.Packet.Type == model.PUBREL):
		targets = []model.Endpoint{s.in}
	case in.Kind == model.InPacket && (in.Packet.Type == model.PUBACK || in.Packet.Type == model.PUBREC || in.Packet.Type == model.PUBCOMP):
		targets = []model.Endpoint{s.out}
	case in.Kind == model.InPacket && in.Packet.Type != model.CONNECT && in.Packet.Type != model.CONNACK:
		return nil // SUBSCRIBE, SUBACK, PINGs: outside today's model
	default:
		targets = s.halves()
	}
	var outs []model.Output
	handshake := false
	for _, ep := range targets {
		if ep == nil {
			continue
		}
		for _, o := range ep.Step(in, nil) {
			if o.Kind == model.OutSend && (o.Packet.Type == model.CONNECT || o.Packet.Type == model.CONNACK) {
				if handshake {
					continue
				}
				handshake = true
			}
			outs = append(outs, o)
		}
	}
	return outs
}

func (s *session) pending(prefix string, dst []string) []string {
	for _, ep := range s.halves() {
		for _, p := range ep.Pending(nil) {
			dst = append(dst, prefix+p)
		}
	}
	return dst
}

// clientShadow is a client: one session, on connection 0.
type clientShadow struct {
	s session
}

func (c *clientShadow) step(_ int, in model.Input) []shadowOut {
	return tag(0, c.s.step(in))
}

func (c *clientShadow) clone() shadow { return &clientShadow{s: c.s.clone()} }

func (c *clientShadow) pending() []string { return c.s.pending("", nil) }

func (c *clientShadow) settled() bool { return len(c.pending()) == 0 }

func tag(conn int, outs []model.Output) []shadowOut {
	res := make([]shadowOut, len(outs))
	for i, o := range outs {
		res[i] = shadowOut{conn: conn, out: o}
	}
	return res
}

// brokerShadow is the broker: a server session per client connection and
// the routing between them. A message its receiving side takes ownership
// of (the model's delivery at the broker) is handed to the sending side of
// every client subscribed to the topic.
type brokerShadow struct {
	sessions []session
	subs     [][]Filter // per client: its subscriptions
	names    []string   // per client: its node name, for reports
}

func (b *brokerShadow) step(conn int, in model.Input) []shadowOut {
	var res []shadowOut
	queue := []shadowIn{{conn, in}}
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		for _, o := range b.sessions[q.conn].step(q.in) {
			if o.Kind == model.OutDeliver {
				// The broker took ownership: route it [MQTT-3.8.4-8]
				// (every subscription here asks for the publication's QoS).
				for k := range b.sessions {
					if b.subscribed(k, o.Msg.Topic) {
						queue = append(queue, shadowIn{k, model.Input{Kind: model.InPublish, Msg: o.Msg}})
					}
				}
				continue
			}
			res = append(res, shadowOut{conn: q.conn, out: o})
		}
	}
	return res
}

type shadowIn struct {
	conn int
	in   model.Input
}

func (b *brokerShadow) subscribed(k int, topic string) bool {
	for _, f := range b.subs[k] {
		if topicMatch(f.Topic, topic) {
			return true
		}
	}
	return false
}

func (b *brokerShadow) clone() shadow {
	c := &brokerShadow{subs: b.subs, names: b.names, sessions: make([]session, len(b.sessions))}
	for i := range b.sessions {
		c.sessions[i] = b.sessions[i].clone()
	}
	return c
}

func (b *brokerShadow) pending() []string {
	var dst []string
	for i := range b.sessions {
		dst = b.sessions[i].pending("with "+b.names[i]+": ", dst)
	}
	return dst
}

func (b *brokerShadow) settled() bool { return len(b.pending()) == 0 }

// topicMatch reports whether a topic filter matches a topic name, with the
// single-level (+) and multi-level (#) wildcards [MQTT-4.7.1-1].
func topicMatch(filter, topic string) bool {
	fs, ts := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, f := range fs {
		if f == "#" {
			return true
		}
		if i >= len(ts) || (f != "+" && f != ts[i]) {
			return false
		}
	}
	return len(fs) == len(ts)
}

// choice is one combination of the choices the model leaves open today:
// the QoS 2 receiver's method (deliver at PUBLISH or at PUBREL) and the
// sender's packet id policy.
type choice struct {
	method   string // the variant: qos2-b delivers at PUBLISH, qos2-a at PUBREL
	idPolicy model.IDPolicy
}

func (c choice) String() string {
	m := "delivers at PUBLISH"
	if c.method == "qos2-a" {
		m = "delivers at PUBREL"
	}
	return m + ", " + c.idPolicy.String() + " ids"
}

// choices lists the combinations, the model's defaults first.
func choices() []choice {
	return []choice{
		{"qos2-b", model.LowestFree}, {"qos2-b", model.Sequential},
		{"qos2-a", model.LowestFree}, {"qos2-a", model.Sequential},
	}
}

// newClientShadow builds a client's model under one choice.
func newClientShadow(cfg model.Config, ch choice, sends, receives bool) (shadow, error) {
	s, err := newSession(cfg.As(model.RoleClient), ch, sends, receives)
	return &clientShadow{s: s}, err
}

// newBrokerShadow builds the broker's model: one server session per client.
func newBrokerShadow(cfg model.Config, ch choice, clients []clientSpec) (shadow, error) {
	b := &brokerShadow{}
	for _, c := range clients {
		// The broker receives what the client publishes and sends what it
		// subscribed to.
		s, err := newSession(cfg.As(model.RoleServer), ch, len(c.subscribe) > 0, c.publishes)
		if err != nil {
			return nil, err
		}
		b.sessions = append(b.sessions, s)
		b.subs = append(b.subs, c.subscribe)
		b.names = append(b.names, c.node)
	}
	return b, nil
}

func newSession(cfg model.Config, ch choice, sends, receives bool) (session, error) {
	v, err := model.Lookup(ch.method)
	if err != nil {
		return session{}, err
	}
	cfg.IDPolicy = ch.idPolicy
	var s session
	if sends {
		s.out = v.NewSender(cfg)
	}
	if receives {
		s.in = v.NewReceiver(cfg)
	}
	return s, nil
}
