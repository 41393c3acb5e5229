package sim

import (
	"slices"

	"github.com/qoslab/qoslab/model"
)

// States is what every endpoint of a run held after each of its steps, for
// a step-by-step viewer (package report): RunStates records it beside the
// trace. Only changes are recorded, so a long run costs little more than
// its trace.
type States struct {
	Endpoints []EndpointInfo `json:"endpoints"`
	// Steps are in trace order. An endpoint's state at trace position k
	// is the last of its entries with At <= k.
	Steps []EndpointState `json:"steps"`
}

// EndpointInfo names one node's endpoint (a client or server session, or
// a broker with one session per connection): the node, the nodes at the
// other end of its connections (by model.Input.Conn), and what its
// application does.
type EndpointInfo struct {
	Node      string   `json:"node"`
	Peers     []string `json:"peers"`
	Broker    bool     `json:"broker,omitempty"`
	Publishes bool     `json:"publishes,omitempty"`
	Receives  bool     `json:"receives,omitempty"`
}

// EndpointState is one endpoint's state after a step: its Pending lines
// (flows in progress, ids and messages held) and its Held count.
type EndpointState struct {
	Endpoint int `json:"ep"` // index into States.Endpoints
	// At is the trace position from which the state holds: the event that
	// caused the step (a packet received, a timer, a break), or for a
	// publication, which the trace does not record, the next event
	// recorded (usually the PUBLISH it sends). -1: from the start of the
	// run.
	At      int      `json:"at"`
	Pending []string `json:"pending,omitempty"`
	Held    int      `json:"held,omitempty"`
}

// RunStates runs cfg with its trace on and records every endpoint's state
// after each step that changed it. The run is the one Run gives for cfg
// with Trace set: recording only reads the endpoints.
func RunStates(cfg Config) (*Result, *States, error) {
	cfg.Trace = true
	s, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	r := &stateRecorder{st: &States{}, last: make([][]string, len(s.nodes)), held: make([]int, len(s.nodes))}
	for i, n := range s.nodes {
		spec := s.layout.Nodes[i]
		info := EndpointInfo{Node: n.name, Broker: spec.Broker, Publishes: spec.Publishes, Receives: spec.Receives}
		for _, li := range n.links {
			info.Peers = append(info.Peers, s.nodes[s.links[li].peer(i)].name)
		}
		r.st.Endpoints = append(r.st.Endpoints, info)
	}
	s.states = r
	for i := range s.nodes {
		r.record(s, i, -1)
	}
	res := s.Run()
	return res, r.st, nil
}

// stateRecorder keeps the last state recorded per endpoint, to record
// changes only.
type stateRecorder struct {
	st   *States
	last [][]string
	held []int
	buf  []string
}

// stepped records node i's state after it stepped on an input of kind, before
// the step's outputs are carried out (and traced).
func (r *stateRecorder) stepped(s *Sim, i int, kind model.InKind) {
	at := len(s.res.Trace) - 1 // the event that caused the step was traced just before it
	if kind == model.InPublish {
		at++ // publications and a broker's forwards are not traced
	}
	r.record(s, i, at)
}

func (r *stateRecorder) record(s *Sim, i, at int) {
	ep := s.nodes[i].ep
	r.buf = ep.Pending(r.buf[:0])
	held := ep.Held()
	if at >= 0 && held == r.held[i] && slices.Equal(r.buf, r.last[i]) {
		return
	}
	lines := slices.Clone(r.buf)
	r.last[i], r.held[i] = lines, held
	r.st.Steps = append(r.st.Steps, EndpointState{Endpoint: i, At: at, Pending: lines, Held: held})
}
