package model

import (
	"strconv"
	"strings"
)

// Forward returns the variant a broker runs on the broker -> subscriber leg
// for a message that arrived over pub, to a subscriber whose subscription
// asks for sub. The broker forwards at the lower QoS of the two
// [MQTT-3.8.4-8] [MQTT-3.8.4-6]: when the publication's QoS is the lower one,
// the forwarding leg runs the publication's own variant; otherwise the
// subscription's.
func Forward(pub, sub Variant) Variant {
	if pub.QoS < sub.QoS {
		return pub
	}
	return sub
}

// Broker is an MQTT server with several clients: one server Session per
// client connection (Input.Conn and Output.Conn are the client's index),
// and the routing between them. What a session's inbound half delivers, the
// broker has taken ownership of; it reports that as an OutDeliver of its
// own (drivers record it, they do not count it as an application delivery)
// and publishes the message on every session whose client subscribed to a
// matching topic filter (section 4.7), through that session's outbound
// half: the forwarding leg's variant, at the lower QoS of publication and
// subscription (see Forward).
//
// A message for a client whose connection is down waits in its session's
// outbound half and leaves when the client resumes the session; a client
// without a matching subscription, or without a session, does not get it.
type Broker struct {
	sessions []*Session
	names    []string  // per connection, for Pending
	routed   []routing // deliveries of the step at hand, to route
	// input is Step's input and fwd the publication the broker routes to
	// a session: sessions get pointers to them (see Session.input).
	input, fwd Input
}

// routing is a message a session delivered to the broker and where the
// OutDeliver that reports it stands in the outputs.
type routing struct {
	msg Message
	at  int
}

// BrokerClient describes one client connection of a broker: its name (for
// Pending lines) and the variants of the two directions as the broker sees
// them: In for what the client publishes to the broker, Out for what the
// broker forwards to the client (nil: none).
type BrokerClient struct {
	Name    string
	In, Out *Variant
}

// NewBroker builds a broker with one server session per client, in order.
func NewBroker(cfg Config, clients []BrokerClient) *Broker {
	cfg = cfg.As(RoleServer).Normalize()
	b := &Broker{}
	for _, c := range clients {
		b.sessions = append(b.sessions, SessionOf(cfg, c.Out, c.In))
		b.names = append(b.names, c.Name)
	}
	return b
}

// Subscribed gives connection conn's client a session that already holds
// subscription sub (see Session.Subscribed).
func (b *Broker) Subscribed(conn int, sub Subscription) {
	b.sessions[conn].Subscribed(sub)
}

// Sessions returns the broker's sessions, by connection (shared: read
// only).
func (b *Broker) Sessions() []*Session { return b.sessions }

// Step implements Endpoint: in.Conn selects the session.
func (b *Broker) Step(in Input, out []Output) []Output {
	b.input = in
	return b.StepInput(&b.input, out)
}

// StepInput implements InputStepper: Step without copying the input,
// which sessions get a pointer to. It clears in's connection and a
// timer's owner bits.
func (b *Broker) StepInput(in *Input, out []Output) []Output {
	conn := int(in.Conn)
	if in.Kind == InTimer {
		// The timer names its session (see stepSession).
		conn = int(in.Timer >> timerConnShift)
		in.Timer &^= timerOwnerMask &^ timerInbound
	}
	if conn >= len(b.sessions) {
		return out
	}
	if in.Kind == InCrash || in.Kind == InRestart {
		// The whole broker crashes or restarts: every session learns it,
		// one choice stream for all.
		for i := range b.sessions {
			out = b.stepSession(i, in, out)
			in.Choice = b.sessions[i].ctx.choice
		}
		return out
	}
	out = b.stepSession(conn, in, out)
	return b.route(conn, out)
}

// stepSession steps session i and tags its outputs with the connection.
func (b *Broker) stepSession(i int, in *Input, out []Output) []Output {
	n := len(out)
	in.Conn = 0
	out = b.sessions[i].StepInput(in, out)
	for k := n; k < len(out); k++ {
		o := &out[k]
		o.Conn = uint8(i)
		if o.Kind == OutSetTimer || o.Kind == OutCancelTimer {
			o.Timer |= Timer(i) << timerConnShift
		}
		if o.Kind == OutDeliver {
			b.routed = append(b.routed, routing{o.Msg, k})
		}
	}
	return out
}

// route publishes what connection from delivered in this step to the
// sessions that subscribed to it, after the step's own outputs, in the
// order the connections were made. The choices of the routed steps come
// after those of the delivering step.
func (b *Broker) route(from int, out []Output) []Output {
	if len(b.routed) == 0 {
		return out
	}
	choice := b.sessions[from].ctx.choice
	msgs := b.routed
	b.routed = b.routed[len(b.routed):] // routed steps deliver nothing: their halves only send
	for _, r := range msgs {
		matched := false
		for j, s := range b.sessions {
			if !b.Routes(j, r.msg.Topic) {
				continue
			}
			matched = true
			b.fwd = Input{Kind: InPublish, Msg: r.msg, Choice: choice}
			out = b.stepSession(j, &b.fwd, out)
			choice = s.ctx.choice
		}
		if !matched {
			// Nobody subscribed: the message goes no further, as MQTT
			// intends. The note tells drivers that no delivery is owed.
			out[r.at].Note = NoSubscriber
		}
	}
	b.routed = msgs[:0]
	return out
}

// NoSubscriber is the Note of a broker's OutDeliver for a message that no
// session's subscription matched: no delivery of it is owed to anyone.
const NoSubscriber = "no matching subscription"

// matches reports whether one of the session's subscriptions matches
// topic; the QoS of the forwarding leg is the session's outbound variant.
func (s *Session) matches(topic string) bool {
	for _, sub := range s.subs {
		if MatchTopic(sub.Filter, topic) {
			return true
		}
	}
	return false
}

// Routes reports whether a message on topic would reach connection conn's
// client now: it has a session with a matching subscription.
func (b *Broker) Routes(conn int, topic string) bool {
	s := b.sessions[conn]
	return s.out != nil && s.conn.HasSession && s.matches(topic)
}

// Clone implements Endpoint.
func (b *Broker) Clone() Endpoint {
	c := *b
	c.sessions = make([]*Session, len(b.sessions))
	for i, s := range b.sessions {
		c.sessions[i] = s.Clone().(*Session)
	}
	c.routed = nil
	return &c
}

// CopyFrom implements Copier.
func (b *Broker) CopyFrom(src Endpoint) bool {
	o, ok := src.(*Broker)
	if !ok || len(o.sessions) != len(b.sessions) {
		return false
	}
	for i, s := range b.sessions {
		if !s.CopyFrom(o.sessions[i]) {
			return false
		}
	}
	b.names = o.names
	return true
}

// AppendKey implements Endpoint.
func (b *Broker) AppendKey(dst []byte) []byte {
	for _, s := range b.sessions {
		dst = s.AppendKey(dst)
		dst = append(dst, 0xfe) // sessions' encodings have no common length
	}
	return dst
}

// Pending implements Endpoint: each session's lines, prefixed with its
// client's name.
func (b *Broker) Pending(dst []string) []string {
	for i, s := range b.sessions {
		n := len(dst)
		dst = s.Pending(dst)
		for k := n; k < len(dst); k++ {
			dst[k] = "for " + b.name(i) + ": " + dst[k]
		}
	}
	return dst
}

func (b *Broker) name(i int) string {
	if b.names[i] != "" {
		return b.names[i]
	}
	return "connection " + strconv.Itoa(i)
}

// Held implements Endpoint: the most ids or messages one session holds for
// messages it received. Receive Maximum bounds each session on its own
// [MQTT-4.9.0-2], so that is the figure a bound on receiver state speaks
// about; a broker with n publishing clients may hold n times as much.
func (b *Broker) Held() int {
	n := 0
	for _, s := range b.sessions {
		n = max(n, s.Held())
	}
	return n
}

// MatchTopic reports whether topic filter f matches topic name t: levels
// are separated by "/", "+" matches exactly one level and "#", last, any
// number of levels including none [MQTT-4.7.1-2] [MQTT-4.7.1-3]. A filter
// starting with a wildcard does not match a topic starting with "$"
// [MQTT-4.7.2-1].
func MatchTopic(f, t string) bool {
	if strings.HasPrefix(t, "$") && (strings.HasPrefix(f, "+") || strings.HasPrefix(f, "#")) {
		return false
	}
	for {
		fl, frest, fmore := strings.Cut(f, "/")
		if fl == "#" {
			return true
		}
		tl, trest, tmore := strings.Cut(t, "/")
		if fl != "+" && fl != tl {
			return false
		}
		if !fmore || !tmore {
			// "a/#" also matches "a": "#" stands for the parent level too.
			return fmore == tmore || (fmore && frest == "#")
		}
		f, t = frest, trest
	}
}

// ValidFilter reports why f is not a valid topic filter ("" when it is):
// not empty [MQTT-4.7.3-1], "#" only as the last level and alone in it
// [MQTT-4.7.1-2], "+" alone in its level [MQTT-4.7.1-3].
func ValidFilter(f string) string {
	if f == "" {
		return "a topic filter must not be empty"
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		switch {
		case strings.Contains(l, "#") && (l != "#" || i != len(levels)-1):
			return "\"#\" must be the last level and alone in it"
		case strings.Contains(l, "+") && l != "+":
			return "\"+\" must be alone in its level"
		}
	}
	return ""
}
