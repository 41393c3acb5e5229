package sim

import (
	"slices"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
)

func TestScheduleRoundTrip(t *testing.T) {
	text := "lose PUBREC#1; dup PUBLISH#2; delay PUBREL#1 +40; break after-send PUBLISH#1; " +
		"break after-recv PUBREC#3 reconnect +20; break at 35; crash server after-recv PUBLISH#1 restart +50; crash client at 120"
	s, err := ParseSchedule(text)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.String(); got != text {
		t.Fatalf("String() =\n%s\nwant\n%s", got, text)
	}
	again, err := ParseSchedule(strings.ReplaceAll(s.String(), "; ", "\n"))
	if err != nil || again.String() != text {
		t.Fatalf("newline-separated form does not parse back: %v %q", err, again)
	}
}

// "on CLIENT" reads and prints back in every form that names a packet or
// a tick.
func TestScheduleOnAConnectionRoundTrips(t *testing.T) {
	text := "lose PUBREC#1 on subscriber; dup PUBLISH#2 on publisher +5; delay PUBREL#1 on subscriber +40; " +
		"break after-send PUBLISH#1 on publisher; break after-recv PUBREC#3 on subscriber reconnect +20; " +
		"break at 35 on subscriber; crash broker after-recv PUBLISH#1 on publisher restart +50"
	s, err := ParseSchedule(text)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.String(); got != text {
		t.Fatalf("String() =\n%s\nwant\n%s", got, text)
	}
}

// A packet counted on one connection is the n-th of its type on that
// connection: through the broker the publisher's second PUBLISH is the run's
// third (the broker forwarded the first in between), and a break on it hits
// the publisher's connection; counted over the run, PUBLISH#2 is the
// broker's forward and the break hits the subscriber's.
func TestFaultsCountedOnOneConnection(t *testing.T) {
	broken := func(faults string) string {
		res := mustRun(t, Config{Topology: Brokered, Workload: Workload{Messages: 2, IntervalTicks: 30}, Trace: true,
			Faults: mustSchedule(t, faults)})
		for _, e := range res.Trace {
			if e.Kind == TBreak {
				return e.Node + "/" + e.Peer
			}
		}
		return ""
	}
	if got := broken("break after-send PUBLISH#2 on publisher"); got != "publisher/broker" {
		t.Errorf("on publisher: the break hit %q", got)
	}
	if got := broken("break after-send PUBLISH#2"); got != "subscriber/broker" {
		t.Errorf("over the run: the break hit %q", got)
	}
	if got := broken("break at 35 on subscriber"); got != "subscriber/broker" {
		t.Errorf("timed, on subscriber: the break hit %q", got)
	}
}

func TestScheduleErrorsNameTheProblem(t *testing.T) {
	cases := map[string]string{
		"vanish PUBREC#1":         `unknown action "vanish"`,
		"lose PUBREC":             "want TYPE#N",
		"lose PUBWHAT#1":          `packet type "PUBWHAT"`,
		"lose PUBREC#0":           "want a whole number >= 1",
		"delay PUBREC#1 40":       "want +TICKS",
		"break sometime PUBREC#1": `moment "sometime"`,
		"crash":                   "crash needs a node name",
		"break at -3":             "want a whole number of ticks",
		"crash server at 4 now":   "only \"restart\" +TICKS may follow",
		"lose PUBREC#1 on":        `"on" must follow TYPE#N`,
		"delay PUBREC#1 +4 on x":  `"on" must follow TYPE#N`,
	}
	for in, want := range cases {
		_, err := ParseSchedule(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSchedule(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}

func TestConfigValidationNamesTheField(t *testing.T) {
	cases := []struct {
		c    Config
		want string
	}{
		{Config{Variant: "qos3"}, `unknown variant "qos3"`},
		{Config{Network: Network{Loss: 1.5}}, "loss 1.5: a probability, allowed 0..1"},
		{Config{Workload: Workload{Messages: -2}}, "messages -2"},
		{Config{Faults: Schedule{{Action: Lose, Type: 5, N: 1}}}, "need mode datagram"},
		{Config{Faults: Schedule{{Action: Crash, Node: "moon", When: AtTime}}}, `node "moon"`},
		{Config{Topology: Brokered, Faults: Schedule{{Action: Break, When: AfterSend, Type: model.PUBLISH, N: 1, On: "broker"}}},
			`on "broker": allowed values are the clients of topology broker: [publisher subscriber]`},
		{Config{Topology: Brokered, Faults: Schedule{{Action: Crash, Node: "broker", When: AtTime, At: 5, On: "publisher"}}},
			"a timed crash is of a node"},
	}
	for _, c := range cases {
		_, err := Run(c.c)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run(%+v) error = %v, want it to contain %q", c.c, err, c.want)
		}
	}
}

// A fault whose packet or moment never comes is reported, so that a run
// that tested nothing does not pass for one that tested something.
func TestUnfiredFaultsAreReported(t *testing.T) {
	res := mustRun(t, Config{Workload: Workload{Messages: 1},
		Faults: mustSchedule(t, "break after-send PUBREC#9; break after-send PUBREC#1; crash server at 5000; crash client after-recv PUBCOMP#2")})
	want := []string{"break after-send PUBREC#9", "crash client after-recv PUBCOMP#2"}
	if strings.Join(res.Unfired, "|") != strings.Join(want, "|") {
		t.Fatalf("Unfired = %q, want %q", res.Unfired, want)
	}
}

// Each dup fault makes its own copy with its own delay after the original:
// a copy can arrive long after the flow it belongs to ended, the late
// duplicate a network makes.
func TestEachDupIsACopyWithItsOwnTiming(t *testing.T) {
	res := mustRun(t, Config{Variant: "qos2-a", Endpoint: model.Config{Mode: model.Datagram}, Workload: Workload{Messages: 1},
		Faults: mustSchedule(t, "dup PUBLISH#1 +5; dup PUBLISH#1 +40"), Trace: true})
	var arrivals []int64
	for _, e := range res.Trace {
		if e.Kind == TRecv && e.Packet.Type == model.PUBLISH {
			arrivals = append(arrivals, e.At)
		}
	}
	if want := []int64{10, 15, 50}; !slices.Equal(arrivals, want) {
		t.Fatalf("PUBLISH arrivals at %v, want %v (the original, then each copy at its own delay)\n%s", arrivals, want, res.Trace)
	}
}
