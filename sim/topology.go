package sim

import (
	"fmt"
	"strconv"

	"github.com/qoslab/qoslab/model"
)

// Topology is the shape of the system under test.
type Topology uint8

const (
	// Direct is one client publishing to one server, the question's framing.
	Direct Topology = iota
	// Brokered is publisher -> broker -> subscriber: the broker receives on
	// one connection and forwards on the other, and exactly-once is judged
	// at the subscriber's application.
	Brokered
	// Duplex is a client and a server that both publish to each other on
	// one connection: packet ids are in use in both directions at once.
	Duplex
	// Pair is two clients, alice and carol, each publishing to the other
	// through the broker: every connection carries flows both ways.
	Pair
	// Self is one client subscribed to its own topic through the broker:
	// what it publishes comes back to it on the same connection.
	Self
	numTopologies
)

var topologyNames = [...]string{"direct", "broker", "duplex", "pair", "self"}

func (t Topology) String() string {
	if int(t) < len(topologyNames) {
		return topologyNames[t]
	}
	return "topology" + strconv.Itoa(int(t))
}

// ParseTopology reads a topology's name.
func ParseTopology(s string) (Topology, error) {
	if s == "" {
		return Direct, nil
	}
	for i, n := range topologyNames {
		if n == s {
			return Topology(i), nil
		}
	}
	return 0, fmt.Errorf("topology %q: allowed values are direct, broker, duplex, pair, self", s)
}

// MarshalText writes the topology's name.
func (t Topology) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a topology's name.
func (t *Topology) UnmarshalText(b []byte) (err error) {
	*t, err = ParseTopology(string(b))
	return err
}

// Layout is a topology spelled out: its nodes and connections, who
// publishes and who receives. The simulator builds a run from it; the
// properties read who is who from it; the explorer and the conformance
// harness build the same systems from it.
type Layout struct {
	Nodes []NodeSpec
	// Links are the connections: Client and Server are node indexes; a
	// broker's connections are numbered in the order of the links
	// (model.Input.Conn).
	Links []LinkSpec
}

// NodeSpec is one node of a topology.
type NodeSpec struct {
	Name   string
	Broker bool // a broker: routes, and its deliveries are not an application's
	// Publishes: the node's application publishes; the workload's
	// messages go round robin to the publishing nodes, in node order.
	Publishes bool
	// Receives: the node's application receives messages; its deliveries
	// are the ones exactly-once is judged on.
	Receives bool
	// Subscribe is the topic filter a client subscribes to ("": none).
	Subscribe string
	// Prefix starts the topics of what the node publishes.
	Prefix string
}

// LinkSpec is one connection: a client node and the server node it
// connects to, the broker's Conn for it.
type LinkSpec struct {
	Client, Server int
	Conn           uint8 // the connection's index at the server
}

// layouts are the topologies' layouts, made once: Layout is asked for per
// run and per history.
var layouts = func() (ls [numTopologies]Layout) {
	for t := range numTopologies {
		ls[t] = t.layout()
	}
	return ls
}()

// Layout returns the nodes and links of topology t (shared: read only).
func (t Topology) Layout() Layout {
	if t < numTopologies {
		return layouts[t]
	}
	return t.layout()
}

func (t Topology) layout() Layout {
	switch t {
	case Brokered:
		return Layout{
			Nodes: []NodeSpec{{Name: "publisher", Publishes: true, Prefix: "qoslab/"}, {Name: "broker", Broker: true},
				{Name: "subscriber", Receives: true, Subscribe: "qoslab/#"}},
			Links: []LinkSpec{{0, 1, 0}, {2, 1, 1}},
		}
	case Duplex:
		return Layout{
			Nodes: []NodeSpec{{Name: "client", Publishes: true, Receives: true, Prefix: "qoslab/"},
				{Name: "server", Publishes: true, Receives: true, Prefix: "qoslab/"}},
			Links: []LinkSpec{{0, 1, 0}},
		}
	case Pair:
		return Layout{
			Nodes: []NodeSpec{
				{Name: "alice", Publishes: true, Receives: true, Subscribe: "qoslab/carol/#", Prefix: "qoslab/alice/"},
				{Name: "broker", Broker: true},
				{Name: "carol", Publishes: true, Receives: true, Subscribe: "qoslab/alice/#", Prefix: "qoslab/carol/"}},
			Links: []LinkSpec{{0, 1, 0}, {2, 1, 1}},
		}
	case Self:
		return Layout{
			Nodes: []NodeSpec{{Name: "client", Publishes: true, Receives: true, Subscribe: "qoslab/#", Prefix: "qoslab/"},
				{Name: "broker", Broker: true}},
			Links: []LinkSpec{{0, 1, 0}},
		}
	}
	return Layout{
		Nodes: []NodeSpec{{Name: "client", Publishes: true, Prefix: "qoslab/"}, {Name: "server", Receives: true}},
		Links: []LinkSpec{{0, 1, 0}},
	}
}

// Names lists the node names, in order.
func (l Layout) Names() []string {
	names := make([]string, len(l.Nodes))
	for i, n := range l.Nodes {
		names[i] = n.Name
	}
	return names
}

// Publishers lists the indexes of the publishing nodes, in order.
func (l Layout) Publishers() []int {
	var ps []int
	for i, n := range l.Nodes {
		if n.Publishes {
			ps = append(ps, i)
		}
	}
	return ps
}

// HasBroker reports whether a broker routes between the clients.
func (l Layout) HasBroker() bool {
	for _, n := range l.Nodes {
		if n.Broker {
			return true
		}
	}
	return false
}

// Subscribes reports whether some client subscribes: with clean starts,
// it must do so in the run before it can receive anything.
func (l Layout) Subscribes() bool {
	for _, n := range l.Nodes {
		if n.Subscribe != "" {
			return true
		}
	}
	return false
}

// Endpoints builds the model endpoint of every node for a run of variant
// v whose forwarding leg runs fwd (model.Forward of v and the
// subscriber's variant): client sessions with their subscriptions, and the
// broker with one session per link. This is where the topology meets the
// model: the simulator, the explorer and the conformance harness all take
// their endpoints from here.
func (l Layout) Endpoints(cfg model.Config, v, fwd model.Variant) []model.Endpoint {
	return l.endpoints(cfg, v, fwd, !cfg.CleanStart)
}

// FreshEndpoints is Endpoints with every session new: subscribers make
// their subscription in the run, as real clients started for a test do.
// The conformance harness's shadows are built this way.
func (l Layout) FreshEndpoints(cfg model.Config, v, fwd model.Variant) []model.Endpoint {
	return l.endpoints(cfg, v, fwd, false)
}

// endpoints builds the nodes' endpoints; subscribed gives subscribers, and
// the broker, the session of an earlier connection with the subscription
// made.
func (l Layout) endpoints(cfg model.Config, v, fwd model.Variant, subscribed bool) []model.Endpoint {
	eps := make([]model.Endpoint, len(l.Nodes))
	brokered := l.HasBroker()
	for i, n := range l.Nodes {
		if n.Broker {
			var clients []model.BrokerClient
			for _, lk := range l.Links {
				if lk.Server != i {
					continue
				}
				c := l.Nodes[lk.Client]
				bc := model.BrokerClient{Name: c.Name}
				if c.Publishes {
					bc.In = &v
				}
				if c.Receives {
					bc.Out = &fwd
				}
				clients = append(clients, bc)
			}
			b := model.NewBroker(cfg, clients)
			conn := 0
			for _, lk := range l.Links {
				if lk.Server != i {
					continue
				}
				if f := l.Nodes[lk.Client].Subscribe; f != "" && subscribed {
					b.Subscribed(conn, model.Subscription{Filter: f, QoS: fwd.QoS})
				}
				conn++
			}
			eps[i] = b
			continue
		}
		role := model.RoleServer
		for _, lk := range l.Links {
			if lk.Client == i {
				role = model.RoleClient
			}
		}
		var out, in *model.Variant
		if n.Publishes {
			out = &v
		}
		if n.Receives {
			in = &v
			if brokered {
				in = &fwd
			}
		}
		s := model.SessionOf(cfg.As(role), out, in)
		if n.Subscribe != "" {
			sub := model.Subscription{Filter: n.Subscribe, QoS: fwd.QoS}
			if !subscribed {
				s.Subscribe(sub)
			} else {
				// A persistent subscriber subscribed in an earlier
				// connection: its session, and the broker's, start with
				// the subscription. It subscribes again (SUBSCRIBE in the
				// run) only when the broker lost the session.
				s.Subscribed(sub)
			}
		}
		eps[i] = s
	}
	return eps
}

// Topic is the topic of the j-th message (from 0) that node n publishes,
// with topics distinct topics used round robin.
func (n NodeSpec) Topic(j, topics int) string {
	return n.Prefix + strconv.Itoa(j%topics)
}

// roles are the topologies' publishing and receiving nodes, by name.
var roles = func() (r [numTopologies][2][]string) {
	for t := range numTopologies {
		l := layouts[t]
		r[t] = [2][]string{l.roleNames(func(n NodeSpec) bool { return n.Publishes }),
			l.roleNames(func(n NodeSpec) bool { return n.Receives })}
	}
	return r
}()

// Publishers names the nodes whose applications publish, in order
// (shared: read only).
func (c Config) Publishers() []string {
	if c.Topology >= numTopologies {
		return nil
	}
	return roles[c.Topology][0]
}

// Receivers names the nodes whose applications receive: where deliveries
// count and exactly-once is judged (shared: read only).
func (c Config) Receivers() []string {
	if c.Topology >= numTopologies {
		return nil
	}
	return roles[c.Topology][1]
}

func (l Layout) roleNames(has func(NodeSpec) bool) []string {
	var names []string
	for _, n := range l.Nodes {
		if has(n) {
			names = append(names, n.Name)
		}
	}
	return names
}

// Origin says who published message ref (from 1) and on which topic: the
// index of its node among the publishers, and the topic's index among that
// node's topics (see makeWorkload).
func (c Config) Origin(ref uint32) (pub, topic int) {
	p := max(len(c.Publishers()), 1)
	k := int(ref) - 1
	return k % p, (k / p) % max(c.Workload.Topics, 1)
}

// OutOfOrder calls f for each first delivery that reached a receiving
// application after the first delivery of a later message from the same
// publisher on the same topic: the order MQTT promises for an ordered topic
// [MQTT-4.6.0-6]. j and i are the trace positions of the earlier-delivered
// later message and of the late one. The result must carry a trace.
func (r *Result) OutOfOrder(f func(j, i int)) {
	type key struct {
		node       string
		pub, topic int
	}
	last := map[key]int{} // latest first delivery per key
	seen := map[string]map[uint32]bool{}
	recv := map[string]bool{}
	for _, n := range r.Config.Receivers() {
		recv[n], seen[n] = true, map[uint32]bool{}
	}
	for i, e := range r.Trace {
		if e.Kind != TDeliver || !recv[e.Node] || seen[e.Node][e.Msg] {
			continue
		}
		seen[e.Node][e.Msg] = true
		p, t := r.Config.Origin(e.Msg)
		k := key{e.Node, p, t}
		if j, ok := last[k]; ok && r.Trace[j].Msg > e.Msg {
			f(j, i)
			continue
		}
		last[k] = i
	}
}

// MakeWorkload returns the messages of workload w (normalised) in
// topology t, made as a run makes them: the explorer takes its messages
// from here so that a replayed path carries the same ones.
func MakeWorkload(w Workload, t Topology) []model.Message {
	var g workload
	g.reset(w, t)
	msgs := make([]model.Message, w.Messages)
	for k := range msgs {
		msgs[k] = *g.message(k)
	}
	return msgs
}

// Clients names the client of each connection, in link order.
func (l Layout) Clients() []string {
	names := make([]string, len(l.Links))
	for i, lk := range l.Links {
		names[i] = l.Nodes[lk.Client].Name
	}
	return names
}

// LinkOf is the index of the connection whose client is named client, or
// -1.
func (l Layout) LinkOf(client string) int {
	for i, lk := range l.Links {
		if l.Nodes[lk.Client].Name == client {
			return i
		}
	}
	return -1
}
