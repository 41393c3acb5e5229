package explore

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// walkCases cover the parts of the state encoding: crashes and breaks,
// reordered multisets with losses and duplicates, early timers, more than
// eight messages (two words of delivery counts) and packets with a MsgID.
var walkCases = []Options{
	{Variant: "qos2-b", Messages: 4, Breaks: 3, Crashes: 2, IDs: 2},
	{Variant: "qos2-a", Messages: 3, Crashes: 2, IDs: 2, Volatile: true, Version: model.V311},
	{Variant: "qos2-b", Mode: model.Datagram, Messages: 3, IDs: 2, Losses: 2, Dups: 2, Reorder: true, EarlyTimers: true},
	{Variant: "qos2-a", Mode: model.Datagram, Messages: 10, IDs: 3, Losses: 1, Dups: 3, Reorder: true},
	{Variant: "two-packet-msgid", Mode: model.Datagram, Messages: 3, IDs: 1, Losses: 1, Dups: 1, Reorder: true},
	{Variant: "qos2-a", Topology: sim.Pair, Messages: 3, Breaks: 2, Crashes: 1, IDPolicy: model.AnyFree, IDs: 3, Choices: model.AllChoices},
	{Variant: "qos2-b", Topology: sim.Self, Messages: 3, Breaks: 2, Crashes: 1, Volatile: true, CleanStart: true},
	{Variant: "qos2-b", Topology: sim.Brokered, SubVariant: "qos1", Mode: model.Datagram, Messages: 3, Losses: 1, Dups: 1, Reorder: true, Crashes: 1},
	{Variant: "qos2-a", Topology: sim.Duplex, Mode: model.Datagram, Messages: 3, Losses: 1, EarlyTimers: true, Choices: model.AllChoices},
}

// randomStates calls f with every state of a few seeded random walks.
func randomStates(t *testing.T, x *system, f func(s *state)) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var moves []move
	for range 40 {
		s := x.initial()
		f(&s)
		for range 80 {
			moves = x.moves(&s, moves[:0])
			if len(moves) == 0 {
				break
			}
			var n state
			x.apply(&n, &s, moves[rng.IntN(len(moves))])
			x.persist(&n)
			s = n
			f(&s)
		}
	}
}

// The frontier stores states as their key words: decoding gives back the
// same state, and encoding that gives the same words.
func TestEncodingRoundTrips(t *testing.T) {
	for _, o := range walkCases {
		x, err := newSystem(o)
		if err != nil {
			t.Fatal(err)
		}
		var d decoder
		checked := 0
		randomStates(t, x, func(s *state) {
			w := s.appendWords(nil, x.sh)
			if len(w) < x.sh.fixed() {
				t.Fatalf("%+v: %d words, fewer than the fixed %d", o, len(w), x.sh.fixed())
			}
			var got state
			d.decode(&got, w, x.sh)
			want := *s
			want.id = 0
			for i := range maxDirs {
				if !slices.Equal(got.net[i], want.net[i]) {
					t.Fatalf("%+v: decoded queues %v, want %v", o, got.net, want.net)
				}
				got.net[i], want.net[i] = nil, nil
			}
			for i := range maxNodes {
				if !slices.Equal(got.timers[i], want.timers[i]) {
					t.Fatalf("%+v: decoded timers %v, want %v", o, got.timers, want.timers)
				}
				got.timers[i], want.timers[i] = nil, nil
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%+v: decoded %+v, want %+v", o, got, want)
			}
			var again state
			d.decode(&again, w, x.sh)
			if w2 := again.appendWords(nil, x.sh); !slices.Equal(w, w2) {
				t.Fatalf("%+v: words %x re-encode as %x", o, w, w2)
			}
			checked++
		})
		if checked < 300 {
			t.Errorf("%+v: only %d states checked", o, checked)
		}
	}
}

// shadow steps its own copies of the endpoints with every input the
// explorer gives them, the way the simulator does, and compares each
// outcome with the interned one the explorer used: equal AppendKey
// encodings must mean equal behaviour, or interning and remembered steps
// would change what the explorer computes.
type shadow struct {
	t     *testing.T
	o     Options
	ep    []model.Endpoint
	names []string
	steps int
}

func (sh *shadow) stepped(side int, in model.Input, before, after model.Endpoint, out []model.Output) {
	sh.t.Helper()
	if b, a := string(before.AppendKey(nil)), string(sh.ep[side].AppendKey(nil)); a != b {
		sh.t.Fatalf("%+v: %s before %v: interned %q, stepped %q", sh.o, sh.names[side], in, b, a)
	}
	got := sh.ep[side].Step(in, nil)
	if !reflect.DeepEqual(got, out) && !(len(got) == 0 && len(out) == 0) {
		sh.t.Fatalf("%+v: %s on %v: remembered outputs %+v, stepping gives %+v", sh.o, sh.names[side], in, out, got)
	}
	if a, b := string(after.AppendKey(nil)), string(sh.ep[side].AppendKey(nil)); a != b {
		sh.t.Fatalf("%+v: %s after %v: interned %q, stepped %q", sh.o, sh.names[side], in, a, b)
	}
	sh.steps++
}

func (sh *shadow) output(int, *model.Output, int, bool) {}
func (sh *shadow) network(move, model.Packet)           {}

func TestRememberedStepsMatchSteppingCopies(t *testing.T) {
	for _, o := range walkCases {
		x, err := newSystem(o)
		if err != nil {
			t.Fatal(err)
		}
		sh := &shadow{t: t, o: x.o, names: x.top.layout.Names()}
		x.obs = sh
		// One walk at a time: the shadow follows a single path.
		rng := rand.New(rand.NewPCG(3, 4))
		var moves []move
		for range 40 {
			sh.ep = x.top.layout.Endpoints(x.cfg, x.v, x.fwd)
			s := x.initial()
			for range 80 {
				moves = x.moves(&s, moves[:0])
				if len(moves) == 0 {
					break
				}
				var n state
				x.apply(&n, &s, moves[rng.IntN(len(moves))])
				x.persist(&n)
				s = n
			}
		}
		if sh.steps < 300 {
			t.Errorf("%+v: only %d steps compared", o, sh.steps)
		}
	}
}
