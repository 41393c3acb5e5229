package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/qoslab/qoslab/model"
)

// streaming makes every run without a trace keep its records only while
// the message is in flight, and the ledger retire at every chance: a pass
// whenever the window doubles, strays as soon as the window is twice what
// it holds. It returns the function that restores the defaults.
func streaming() func() {
	limit, pass, spill := keepLimit, passMin, spillMin
	keepLimit, passMin, spillMin = 0, 1, 0
	return func() { keepLimit, passMin, spillMin = limit, pass, spill }
}

// troubledOf lists what Result.Troubled yields.
func troubledOf(res *Result) []MessageStats {
	var ms []MessageStats
	for m := range res.Troubled() {
		ms = append(ms, *m)
	}
	return ms
}

// withoutMessages is everything the result says but the per-message list:
// its JSON and the fields JSON leaves out, the Tally, the summary and the
// troubled messages.
func withoutMessages(t *testing.T, res *Result) string {
	t.Helper()
	c := *res
	c.Messages = nil
	sum := c.Summarize()
	sum.CompleteTicks = nil
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s\n%v %v %d %d\ntally %+v\nsummary %+v\ntroubled %+v", b, c.Packets, c.Bytes, c.PeakHeldAt,
		c.PeakHeldEvent, c.Tally, sum, troubledOf(res))
}

// TestStreamingMatchesKept runs varied configs (every variant, both
// topologies of variedConfig and the three others, faults of every kind,
// time limits) twice: keeping every message's record, and keeping records
// only while their messages are in flight, with the ledger retiring at
// every chance. Everything the result says must be the same: the Tally,
// the summary, the troubled messages, and the rest of the result.
func TestStreamingMatchesKept(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 100
	}
	rng := rand.New(rand.NewPCG(21, 5))
	var runs, retired, strays, troubled int
	for k := range n {
		cfg := variedConfig(rng, k)
		cfg.Trace = false
		if k%3 == 0 {
			// The other topologies, with random faults only (their node
			// names differ from the schedules').
			cfg.Topology, cfg.Faults = Topology(2+k/3%int(numTopologies-2)), nil
			cfg.Endpoint.Choices = model.ChoiceSet(rng.IntN(int(model.AllChoices) + 1))
		}
		kept, err := Run(cfg)
		if err != nil {
			continue
		}
		runs++
		want := withoutMessages(t, kept)
		restore := streaming()
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := s.Run()
		restore()
		if got.Messages != nil {
			t.Fatalf("config %d: a streaming run kept Messages", k)
		}
		if g := withoutMessages(t, got); g != want {
			t.Fatalf("config %d (%s): streaming differs from keeping every record:\nkept:      %.2000s\nstreaming: %.2000s", k, cfg.Command(), want, g)
		}
		if s.led.retired > 0 {
			retired++
		}
		if s.led.strayed > 0 {
			strays++
		}
		if len(got.troubled) > 0 {
			troubled++
		}
	}
	t.Logf("%d runs: %d retired records during the run, %d moved records to the strays, %d troubled", runs, retired, strays, troubled)
	if retired < runs/3 || strays == 0 || troubled == 0 {
		t.Fatalf("the sequence does not exercise the ledger: %d runs, %d retired, %d with strays, %d troubled", runs, retired, strays, troubled)
	}
}

// TestRunnerMatchesRunStreaming is TestRunnerMatchesRun for runs that keep
// their records only while messages are in flight: a Runner that retired
// records in its last run starts the next as a fresh Sim does.
func TestRunnerMatchesRunStreaming(t *testing.T) {
	defer streaming()()
	n := 300
	if testing.Short() {
		n = 100
	}
	runnerMatchesRun(t, rand.New(rand.NewPCG(9, 13)), n)
}

// keepChecker wraps an endpoint and checks model.Keeper's contract, which
// the ledger's exactness rests on: every message an output names (a
// delivery, a completion or abandonment, a packet sent) was kept by the
// endpoint before the step or came with the input.
type keepChecker struct {
	model.Endpoint
	t    *testing.T
	cfg  string
	node string
	kept []uint32
}

func (k *keepChecker) AppendKept(dst []uint32) ([]uint32, bool) {
	return k.Endpoint.(model.Keeper).AppendKept(dst)
}

func (k *keepChecker) Step(in model.Input, out []model.Output) []model.Output {
	k.kept, _ = k.AppendKept(k.kept[:0])
	n := len(out)
	out = k.Endpoint.Step(in, out)
	for _, o := range out[n:] {
		ref := o.Msg.Ref
		if o.Kind == model.OutSend {
			ref = o.Packet.Msg.Ref
		}
		if ref == 0 || ref == in.Msg.Ref || ref == in.Packet.Msg.Ref || slices.Contains(k.kept, ref) {
			continue
		}
		k.t.Fatalf("%s: %s's %s of m%d after input %s: the message was not among those it kept %v", k.cfg, k.node, o.Kind, ref, in.Kind, k.kept)
	}
	return out
}

// TestEndpointsSayWhatTheyKeep runs every topology and variant under loss,
// duplication, reordering, breaks and crashes, with durable and volatile
// sessions and every choice open, and checks each step against what the
// endpoint said it kept before it (keepChecker).
func TestEndpointsSayWhatTheyKeep(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	steps := 0
	for top := range numTopologies {
		for _, v := range model.Names() {
			for k := range 8 {
				cfg := Config{Variant: v, SubscriberVariant: model.Names()[rng.IntN(len(model.Names()))], Topology: top,
					Workload: Workload{Messages: 30, IntervalTicks: int64(rng.IntN(20))}, Seed: uint64(k)}
				ec := &cfg.Endpoint
				ec.Volatile = k%2 == 1
				ec.ReceiveMax = []int{0, 2, 5}[k%3]
				ec.IDSpace = []int{0, 3}[k/2%2]
				if k >= 4 {
					ec.Choices, ec.IDPolicy = model.AllChoices, model.AnyFree
				}
				if k%4 < 2 {
					ec.Mode = model.Datagram
					cfg.Network = Network{Loss: 0.2, Dup: 0.2, JitterTicks: 30, CrashMeanTicks: 400}
				} else {
					cfg.Network = Network{BreakMeanTicks: 60, CrashMeanTicks: 500, JitterTicks: 3}
				}
				s, err := New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				for i := range s.nodes {
					if k, ok := s.nodes[i].ep.(model.Keeper); !ok {
						t.Fatalf("%s: %s's endpoint is not a model.Keeper", cfg.Command(), s.nodes[i].name)
					} else if _, ok := k.AppendKept(nil); !ok {
						t.Fatalf("%s: %s's endpoint cannot say what it keeps: a half of %s or %s is not a model.Keeper, so long runs keep every record",
							cfg.Command(), s.nodes[i].name, cfg.Variant, cfg.SubscriberVariant)
					}
					s.nodes[i].ep = &keepChecker{Endpoint: s.nodes[i].ep, t: t, cfg: cfg.Command(), node: s.nodes[i].name}
					s.nodes[i].ps = nil
				}
				steps += int(s.Run().Events)
			}
		}
	}
	t.Logf("%d events checked", steps)
}

// TestLongRunMemoryIsFlat pins the memory of a long run: `simulate run`'s
// default run of 150,000 messages keeps at most a few passes' worth of
// message records open at once, and its live heap does not grow with the
// messages published (a record, a workload entry and a payload per
// message were over 200 bytes).
func TestLongRunMemoryIsFlat(t *testing.T) {
	cfg := longRunConfig(MessagesKept + 50_000)
	first, peak, msgs, s := liveHeap(t, cfg, 8)
	growth := (float64(peak) - float64(first)) / float64(msgs)
	t.Logf("live heap %d -> peak %d bytes over %d messages: %.4f bytes/message; widest window %d records, %d retired",
		first, peak, msgs, growth, s.led.widest, s.led.retired)
	if s.res.Messages != nil || msgs < cfg.Workload.Messages/2 {
		t.Fatalf("the run kept its messages (%v) or was measured over %d messages only", s.res.Messages != nil, msgs)
	}
	if growth > 4 {
		t.Errorf("the live heap grew by %.1f bytes per message", growth)
	}
	if s.led.widest > 2*passMin+64 {
		t.Errorf("%d message records were open at once; passes every %d publications should keep it near that", s.led.widest, passMin)
	}
}
