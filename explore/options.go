package explore

import (
	"fmt"
	"runtime"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// Search is the search strategy.
type Search uint8

const (
	// BFS visits every reachable state, shallowest first: a violation it
	// reports is a shortest one, and a finished search is a proof within the
	// bounds.
	BFS Search = iota
	// Walk runs seeded random walks from the initial state, checking safety
	// only: for spaces too large to finish, it can refute but never prove.
	Walk
)

func (s Search) String() string {
	if s == Walk {
		return "walk"
	}
	return "bfs"
}

// ParseSearch reads "bfs" or "walk".
func ParseSearch(s string) (Search, error) {
	switch s {
	case "bfs", "":
		return BFS, nil
	case "walk", "random":
		return Walk, nil
	}
	return 0, fmt.Errorf("search %q: allowed values are bfs, walk", s)
}

// MaxMessages bounds Options.Messages: per-message bookkeeping is kept in
// fixed arrays and bit sets.
const MaxMessages = 16

// Options are the bounds and network behaviours of one exploration. Zero
// fields get the defaults documented on each field.
type Options struct {
	Variant string // protocol variant (default "qos2-b")
	// Topology is the system explored (sim.Layout: direct by default;
	// duplex, broker, pair and self put ids in use in both directions or
	// route through a broker), and SubVariant what subscribers ask for
	// (default Variant; the broker forwards at the lower QoS).
	Topology   sim.Topology
	SubVariant string
	Mode       model.Mode    // stream (default) or datagram
	Version    model.Version // MQTT version (default 5.0)
	IDPolicy   model.IDPolicy
	Messages   int // messages the application publishes, in order, each at any moment (default 3)
	IDs        int // packet id space 1..IDs (default 2)
	// ReceiveMax is the in-flight limit (0: unlimited, that is the id space).
	ReceiveMax int
	// RetryLimit is the datagram retransmissions of one packet before the
	// sender abandons the message (default 2; kept small, since every try
	// is a distinct state).
	RetryLimit int
	Volatile   bool // session state dies in a crash
	// CleanStart makes clients ask for a new session at every connect.
	CleanStart bool
	// Choices are the choices the specification leaves open that the
	// search branches over (IDPolicy AnyFree opens the packet id): every
	// option of each is explored.
	Choices model.ChoiceSet
	// DistinctPayloads makes payloads repeat: message i carries payload
	// i mod DistinctPayloads, as in the simulator (0: all distinct).
	DistinctPayloads int
	// TTLTicks and StoreCap configure de-duplication stores that expire or
	// evict (two-packet variants). The explorer has no clock: an expiry
	// timer may fire at any moment once armed, so any TTL > 0 means "an
	// entry can expire before a late retransmission arrives".
	TTLTicks int64
	StoreCap int

	Breaks  int // stream: connection breaks (default 0)
	Crashes int // node crashes, client or server (default 0)
	Losses  int // datagram: packets the network may lose
	Dups    int // datagram: packets the network may duplicate
	// Reorder lets a datagram be delivered while an older one in the same
	// direction is still in flight; without it each direction is FIFO.
	Reorder bool
	// EarlyTimers lets an armed datagram retry timer fire at any moment;
	// without it a timer fires only when nothing is in flight (the network
	// is quiet, so the retransmission timeout has surely passed).
	EarlyTimers bool

	Search Search
	// Workers is the goroutines a BFS runs on (0: GOMAXPROCS). The outcome
	// (verdict, counts, counterexample) is the same for any number.
	Workers int
	// MaxStates stops a BFS after this many states (0: 50 million).
	MaxStates int
	// MaxBytes stops a BFS when the memory it holds (its tables, outside
	// the Go heap, and the heap's objects) exceeds it (0: 2 GiB).
	MaxBytes uint64
	// MaxDepth stops a BFS after this many levels (0: none): every schedule
	// of up to MaxDepth moves is checked for safety, nothing beyond.
	MaxDepth int
	// Walks and WalkDepth size a random-walk search (defaults 10000, 200).
	Walks, WalkDepth int
	Seed             uint64 // random walks
	// Progress, when set, is called about once per 2^16 new states.
	Progress func(Progress)
	// Interrupt, when closed, stops the search (Ctrl-C): it is looked at
	// with the bounds and at every level, and the result is Incomplete
	// with Interrupted set and Stopped saying what was covered.
	Interrupt <-chan struct{}
	// Project records every endpoint transition for StateMachines (slower).
	Project bool
}

// Progress is a snapshot of a running search.
type Progress struct {
	States, Transitions int
	Depth               int
	// HeapBytes is the memory the search holds: its tables (outside the Go
	// heap) and the Go heap's objects.
	HeapBytes uint64
}

// MaxWorkers bounds Options.Workers.
const MaxWorkers = 256

// Defaults.
const (
	DefaultVariant    = "qos2-b"
	DefaultMessages   = 3
	DefaultIDs        = 2
	DefaultRetryLimit = 2
	DefaultMaxStates  = 50_000_000
	DefaultMaxBytes   = 2 << 30
	DefaultWalks      = 10_000
	DefaultWalkDepth  = 200
)

// Normalize returns o with defaults in place of zero fields.
func (o Options) Normalize() Options {
	if o.Variant == "" {
		o.Variant = DefaultVariant
	}
	if o.SubVariant == "" {
		o.SubVariant = o.Variant
	}
	if o.Messages == 0 {
		o.Messages = DefaultMessages
	}
	if o.IDs == 0 {
		o.IDs = DefaultIDs
	}
	if o.RetryLimit == 0 {
		o.RetryLimit = DefaultRetryLimit
	}
	if o.MaxStates == 0 {
		o.MaxStates = DefaultMaxStates
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Walks == 0 {
		o.Walks = DefaultWalks
	}
	if o.WalkDepth == 0 {
		o.WalkDepth = DefaultWalkDepth
	}
	if o.Workers == 0 {
		o.Workers = min(runtime.GOMAXPROCS(0), MaxWorkers)
	}
	return o
}

// Validate names the first option out of range and what is allowed.
func (o Options) Validate() error {
	if _, err := model.Lookup(o.Variant); err != nil {
		return fmt.Errorf("variant: %v", err)
	}
	if _, err := model.Lookup(o.SubVariant); err != nil {
		return fmt.Errorf("sub-variant: %v", err)
	}
	if _, err := sim.ParseTopology(o.Topology.String()); err != nil {
		return err
	}
	stream := o.Mode == model.Stream
	switch {
	case o.Messages < 1 || o.Messages > MaxMessages:
		return fmt.Errorf("messages %d: allowed 1..%d", o.Messages, MaxMessages)
	case o.IDs < 1 || o.IDs > 65535:
		return fmt.Errorf("ids %d: allowed 1..65535", o.IDs)
	case o.ReceiveMax < 0 || o.ReceiveMax > 65535:
		return fmt.Errorf("receive-max %d: allowed 0..65535 (0: unlimited)", o.ReceiveMax)
	case o.RetryLimit < 1 || o.RetryLimit > 100:
		return fmt.Errorf("retry-limit %d: allowed 1..100", o.RetryLimit)
	case o.DistinctPayloads < 0:
		return fmt.Errorf("distinct-payloads %d: must not be negative", o.DistinctPayloads)
	case o.TTLTicks < 0 || o.StoreCap < 0:
		return fmt.Errorf("ttl %d, store-cap %d: must not be negative", o.TTLTicks, o.StoreCap)
	case o.Breaks < 0 || o.Breaks > 255:
		return fmt.Errorf("breaks %d: allowed 0..255", o.Breaks)
	case o.Crashes < 0 || o.Crashes > 255:
		return fmt.Errorf("crashes %d: allowed 0..255", o.Crashes)
	case o.Losses < 0 || o.Losses > 255:
		return fmt.Errorf("losses %d: allowed 0..255", o.Losses)
	case o.Dups < 0 || o.Dups > 255:
		return fmt.Errorf("dups %d: allowed 0..255", o.Dups)
	case stream && (o.Losses > 0 || o.Dups > 0 || o.Reorder || o.EarlyTimers):
		return fmt.Errorf("losses/dups/reorder/early-timers: per-packet network behaviours need mode datagram; a stream loses packets only when the connection breaks (use breaks)")
	case !stream && o.Breaks > 0:
		return fmt.Errorf("breaks %d: connection breaks need mode stream; datagram mode has no connection", o.Breaks)
	case !stream && o.CleanStart:
		return fmt.Errorf("clean-start: datagram mode has no CONNECT to ask for a clean start")
	case o.Choices&^model.AllChoices != 0:
		return fmt.Errorf("choices %s: allowed are combinations of %s", o.Choices, model.AllChoices)
	case o.MaxDepth < 0:
		return fmt.Errorf("max-depth %d: must not be negative", o.MaxDepth)
	case o.MaxStates < 1 || o.MaxStates > maxStates:
		return fmt.Errorf("max-states %d: allowed 1..%d", o.MaxStates, maxStates)
	case o.Workers < 0 || o.Workers > MaxWorkers:
		return fmt.Errorf("workers %d: allowed 0..%d (0: one per core)", o.Workers, MaxWorkers)
	case o.Walks < 1 || o.WalkDepth < 1:
		return fmt.Errorf("walks %d, walk-depth %d: must be at least 1", o.Walks, o.WalkDepth)
	}
	return nil
}

// endpointConfig is the model.Config both endpoints are built from.
func (o Options) endpointConfig() model.Config {
	rm := o.ReceiveMax
	if rm == 0 {
		rm = model.DefaultReceiveMax
	}
	return model.Config{Mode: o.Mode, Version: o.Version, IDPolicy: o.IDPolicy, IDSpace: o.IDs,
		ReceiveMax: rm, RetryLimit: o.RetryLimit, Volatile: o.Volatile, TTLTicks: o.TTLTicks, StoreCap: o.StoreCap,
		CleanStart: o.CleanStart, Choices: o.Choices}.Normalize()
}
