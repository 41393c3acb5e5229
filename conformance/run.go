package conformance

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// ParseTopology reads a topology with a broker in it: broker (publisher ->
// broker -> subscriber), pair (alice and carol publish to each other: every
// connection carries flows both ways, with the same packet ids in use both
// ways at once) or self (one client subscribed to its own topic). Node
// names, who publishes and who subscribes come from sim.Topology.Layout,
// so a conformance run and a simulated one are the same system.
func ParseTopology(s string) (sim.Topology, error) {
	t, err := sim.ParseTopology(s)
	if err == nil && t.Layout().HasBroker() {
		return t, nil
	}
	return 0, fmt.Errorf("topology %q: allowed values are broker, pair, self (the harness tests brokers and the clients of brokers)", s)
}

// clients lists the topology's clients in link order: the hop index is the
// broker's connection index, and the simulator's first link (which "break
// at" hits) is the first hop.
func clientsOf(t sim.Topology) []clientSpec {
	l := t.Layout()
	var cs []clientSpec
	for _, lk := range l.Links {
		n := l.Nodes[lk.Client]
		cs = append(cs, clientSpec{node: n.Name, publishes: n.Publishes, topic: n.Topic(0, 1), subscribe: n.Subscribe})
	}
	return cs
}

// topics maps the model's topics ("qoslab/...") to a run's own
// ("qoslab/conform/RUN/..."), so that runs against a shared broker do not
// meet, and back, so that the oracle and the transcripts see the model's.
type topics struct{ prefix string }

const modelTopicRoot = "qoslab/"

func (t topics) real(modelTopic string) string {
	if rest, ok := strings.CutPrefix(modelTopic, modelTopicRoot); ok {
		return t.prefix + rest
	}
	return modelTopic
}

func (t topics) model(realTopic string) string {
	if rest, ok := strings.CutPrefix(realTopic, t.prefix); ok {
		return modelTopicRoot + rest
	}
	return realTopic
}

// Case is one run: the workload and the faults.
type Case struct {
	Name     string       `json:"name"` // a short name for matrices (default: the schedule)
	Faults   sim.Schedule `json:"faults"`
	Messages int          `json:"messages"` // default 1
	// Topology is broker (the default, also for the zero value), pair or
	// self.
	Topology sim.Topology `json:"topology"`
	// Clean makes every client ask for a new session at each connect
	// (Clean Start 1 / CleanSession 1): a break then loses what was in
	// flight to it, and the model says so.
	Clean bool `json:"clean,omitempty"`
}

// Label is the case's name, or its schedule, or "no faults".
func (c Case) Label() string {
	switch {
	case c.Name != "":
		return c.Name
	case len(c.Faults) > 0:
		return c.Faults.String()
	}
	return "no faults"
}

// Target is what is under test: a broker, and the client implementation
// that publishes and subscribes through it.
type Target struct {
	Broker BrokerImpl
	Client ClientImpl
}

// Name is the target as matrices show it: the broker when the model's
// clients drive it, else the client library and the broker it runs on.
func (t Target) Name() string {
	if t.Client.Name == ModelClient.Name {
		return t.Broker.Name
	}
	return t.Client.Name + " on " + t.Broker.Name
}

// Options are the settings of runs. Zero fields get defaults.
type Options struct {
	Version model.Version
	// Settle is how long the system must be silent to count as quiet
	// (default 5ms; 30ms for a broker in a process of its own, which the
	// harness cannot look inside).
	Settle time.Duration
	// RunBound caps one run's wall time (default 60s).
	RunBound time.Duration
	// Workers is how many runs RunMatrix has going at once (default
	// DefaultWorkers); it changes no result.
	Workers int
	runID   string
}

func (o Options) normalize(t Target) Options {
	if o.Settle == 0 {
		o.Settle = 5 * time.Millisecond
		if t.Broker.external {
			o.Settle = 30 * time.Millisecond
		}
	}
	if o.RunBound == 0 {
		o.RunBound = 60 * time.Second
	}
	return o
}

// ValidateCase checks a case against what the harness can do, naming the
// fault and what is allowed.
func ValidateCase(c Case) error {
	if c.Messages < 0 || c.Messages > 1000 {
		return fmt.Errorf("messages %d: allowed 1..1000", c.Messages)
	}
	if c.Topology != sim.Direct && !c.Topology.Layout().HasBroker() {
		return fmt.Errorf("topology %s: allowed values are broker, pair, self", c.Topology)
	}
	for i, f := range c.Faults {
		if lay := c.normalize().Topology.Layout(); f.On != "" && lay.LinkOf(f.On) < 0 {
			return fmt.Errorf("fault %d %q: on %q: allowed values are the clients %v", i+1, f.String(), f.On, lay.Clients())
		}
		switch f.Action {
		case sim.Break, sim.Delay:
		case sim.Lose, sim.Dup:
			return fmt.Errorf("fault %d %q: TCP loses packets only when the connection breaks; use \"break after-send %s#%d\"", i+1, f.String(), f.Type, f.N)
		case sim.Crash:
			return fmt.Errorf("fault %d %q: the harness cannot crash a real implementation; allowed faults are break (after-send, after-recv, at) and delay", i+1, f.String())
		default:
			return fmt.Errorf("fault %d %q: allowed faults are break and delay", i+1, f.String())
		}
		if f.When != sim.AtTime && f.Action == sim.Break && (f.Type == 0 || f.N < 1) {
			return fmt.Errorf("fault %d %q: needs a packet TYPE#N", i+1, f.String())
		}
	}
	return nil
}

// Run drives target through one case and judges it against the model.
// An error means the harness could not run the case (the broker could not
// be started or reached); what the implementations did wrong is in the
// Result.
func Run(t Target, c Case, opt Options) (*Result, error) {
	c = c.normalize()
	if err := ValidateCase(c); err != nil {
		return nil, err
	}
	if !t.Client.speaks(opt.Version) {
		return nil, fmt.Errorf("client %s does not speak MQTT %s", t.Client.Name, opt.Version)
	}
	opt = opt.normalize(t)
	opt.runID = newRunID()
	d, err := newDriver(t, c, opt)
	if err != nil {
		return nil, err
	}
	res, err := d.run()
	if err != nil {
		return nil, err
	}
	res.Model, res.ModelNote = modelTranscript(c, opt.Version)
	res.Replay = replay(t, c, opt.Version)
	return res, nil
}

// normalize fills in the defaults: one message, the broker topology.
func (c Case) normalize() Case {
	if c.Messages == 0 {
		c.Messages = 1
	}
	if c.Topology == sim.Direct {
		c.Topology = sim.Brokered
	}
	return c
}

// newRunID makes the client ids and topics of a run its own, so that runs
// against a shared broker do not meet.
func newRunID() string {
	var b [6]byte
	rand.Read(b[:])
	return "q" + hex.EncodeToString(b[:])
}

// Result is what one run found.
type Result struct {
	Target      string        `json:"target"`
	Case        Case          `json:"case"`
	Version     model.Version `json:"mqtt"`
	Verdict     Verdict       `json:"verdict"`
	Divergences []*Divergence `json:"divergences"`
	// Delivered counts deliveries to subscribers' applications per
	// message; Reported is what the publisher's API said of each.
	Delivered map[uint32]int    `json:"delivered"`
	Reported  map[uint32]string `json:"reported"`
	// Stopped says why the run ended before the model settled ("" when it
	// settled), and Pending what the model still had to do then.
	Stopped string   `json:"stopped,omitempty"`
	Pending []string `json:"pending,omitempty"`
	// Choices are, per node, the model's open choices still consistent
	// with what the node did.
	Choices []string `json:"choices"`
	// Unfired are faults of the schedule that never matched a packet.
	Unfired    []string   `json:"unfired,omitempty"`
	Transcript Transcript `json:"transcript"`
	// Model is the simulator's run of the same case, for comparison.
	Model     Transcript `json:"model,omitempty"`
	ModelNote string     `json:"model_note,omitempty"`
	Replay    string     `json:"replay"`
}

// Verdict is a run's outcome, the worst of its divergences.
type Verdict string

const (
	Conforms       Verdict = "conforms"
	ConformsWith   Verdict = "conforms (permitted differences)"
	ProtocolFails  Verdict = "protocol violation"
	DeliveryFails  Verdict = "delivery violation"
	StoppedAnswers Verdict = "stopped answering"
)

// Failed reports whether the verdict is a failure (exit status 1).
func (v Verdict) Failed() bool { return v != Conforms && v != ConformsWith }

func verdictOf(r *Result) Verdict {
	worst := Class(0)
	for _, d := range r.Divergences {
		if d.Class > worst {
			worst = d.Class
		}
	}
	switch {
	case worst == Delivery:
		return DeliveryFails
	case worst == Protocol:
		if r.Stopped != "" {
			return StoppedAnswers
		}
		return ProtocolFails
	case r.Stopped != "":
		return StoppedAnswers
	case worst == Permitted || worst == Consequence:
		return ConformsWith
	}
	return Conforms
}

// replay is the command that runs the case again.
func replay(t Target, c Case, v model.Version) string {
	args := []string{"simulate conform", "--broker " + t.Broker.Name, "--client " + t.Client.Name, "--mqtt " + v.String()}
	if c.Topology != sim.Brokered {
		args = append(args, "--topology "+c.Topology.String())
	}
	if c.Clean {
		args = append(args, "--clean-start")
	}
	if c.Messages != 1 {
		args = append(args, "--messages "+strconv.Itoa(c.Messages))
	}
	if len(c.Faults) > 0 {
		args = append(args, "--faults "+strconv.Quote(c.Faults.String()))
	}
	return strings.Join(args, " ")
}

// modelTranscript runs the case in the simulator with the model on every
// node, for the side-by-side view.
func modelTranscript(c Case, v model.Version) (Transcript, string) {
	res, err := sim.Run(ModelConfig(c, v))
	if err != nil {
		return nil, "the simulator refused the case: " + err.Error()
	}
	t, _ := FromTrace(res.Trace)
	return t, ""
}

// ModelConfig is the simulator's run of a case that the side-by-side
// views show beside the real transcript: the model on every node, the same
// schedule, topology, clean start and workload, under protocol version v.
// Its sessions start fresh, as the real clients' do: subscribers subscribe
// during the run.
func ModelConfig(c Case, v model.Version) sim.Config {
	c = c.normalize()
	cfg := sim.Config{Variant: shadowVariant, Topology: c.Topology, Trace: true, Faults: c.Faults, FreshSessions: true,
		Endpoint: model.Config{Mode: model.Stream, Version: v, CleanStart: c.Clean}, Workload: sim.Workload{Messages: c.Messages}}
	// One publication after another, as the harness publishes.
	cfg.Workload.IntervalTicks = 1
	return cfg
}
