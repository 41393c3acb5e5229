package explore

import (
	"encoding/binary"
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

// The frontier stores states as their encodings: decoding gives back the
// same state, and encoding that gives the same bytes. The previous
// search's word encoding (the scale benchmark's baseline) round-trips too.
// Decoding undoing encoding also makes the encoding injective, as a state's
// key must be: two states with equal bytes decode to the same state.
func TestEncodingRoundTrips(t *testing.T) {
	for _, o := range walkCases {
		x, err := newSystem(o)
		if err != nil {
			t.Fatal(err)
		}
		var d decoder
		checked := 0
		randomStates(t, x, func(s *state) {
			want := *s
			b := s.encode(nil, x.sh)
			var got state
			d.decodeBytes(&got, b, x.sh)
			sameState(t, o, &got, &want)
			if b2 := got.encode(nil, x.sh); !slices.Equal(b, b2) {
				t.Fatalf("%+v: bytes %x re-encode as %x", o, b, b2)
			}
			w := s.appendWords(nil, x.sh)
			if len(w) < x.sh.fixed() {
				t.Fatalf("%+v: %d words, fewer than the fixed %d", o, len(w), x.sh.fixed())
			}
			d.decode(&got, w, x.sh)
			sameState(t, o, &got, &want)
			if w2 := got.appendWords(nil, x.sh); !slices.Equal(w, w2) {
				t.Fatalf("%+v: words %x re-encode as %x", o, w, w2)
			}
			checked++
		})
		if checked < 300 {
			t.Errorf("%+v: only %d states checked", o, checked)
		}
	}
}

func sameState(t *testing.T, o Options, got, want *state) {
	t.Helper()
	g, w := *got, *want
	for i := range maxDirs {
		if !slices.Equal(g.net[i], w.net[i]) {
			t.Fatalf("%+v: decoded queues %v, want %v", o, g.net, w.net)
		}
		g.net[i], w.net[i] = nil, nil
	}
	for i := range maxNodes {
		if !slices.Equal(g.timers[i], w.timers[i]) {
			t.Fatalf("%+v: decoded timers %v, want %v", o, g.timers, w.timers)
		}
		g.timers[i], w.timers[i] = nil, nil
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%+v: decoded %+v, want %+v", o, g, w)
	}
}

// hashBytes is the same MurmurHash3 x64-128 as the previous hashWords: on
// whole words they agree; and every length of tail changes the hash.
func TestHashBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 9 {
		w := make([]uint64, n)
		var b []byte
		for i := range w {
			w[i] = rng.Uint64()
			b = binary.LittleEndian.AppendUint64(b, w[i])
		}
		h1, h2 := hashBytes(b)
		if k := hashWords(w); k != (key{h1, h2}) {
			t.Errorf("%d words: hashBytes %x %x, hashWords %x", n, h1, h2, k)
		}
	}
	seen := map[[2]uint64]int{}
	b := make([]byte, 40)
	for n := range b {
		h1, h2 := hashBytes(b[:n])
		if m, ok := seen[[2]uint64{h1, h2}]; ok {
			t.Errorf("%d and %d zero bytes hash alike", m, n)
		}
		seen[[2]uint64{h1, h2}] = n
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
