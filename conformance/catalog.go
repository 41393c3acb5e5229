package conformance

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"

	"github.com/leanovate/gopter"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/properties"
	"github.com/qoslab/qoslab/scenarios"
	"github.com/qoslab/qoslab/sim"
)

// The cases `simulate conform` runs. Fault counting is the simulator's:
// PUBREC#2 is the second PUBREC put on the wire in the run. With one
// message, each packet type's first occurrence is on the publisher's
// connection and its second on the subscriber's, so #1 and #2 are the
// answer's break points on the two legs.

// breakPointTypes are the four packets of the QoS 2 flow.
var breakPointTypes = []model.PacketType{model.PUBLISH, model.PUBREC, model.PUBREL, model.PUBCOMP}

// BreakPoints lists the answer's four break points on each leg, with the
// break right after the packet is sent (it is lost) and right after it was
// processed (its answer is lost).
func BreakPoints() []Case {
	var cs []Case
	for _, leg := range []int{1, 2} {
		for _, when := range []sim.When{sim.AfterSend, sim.AfterRecv} {
			for _, t := range breakPointTypes {
				f := sim.Fault{Action: sim.Break, When: when, Type: t, N: leg}
				cs = append(cs, Case{Faults: sim.Schedule{f}, Messages: 1})
			}
		}
	}
	return cs
}

// Coverage is the default set of cases: no faults, every break point on
// both legs, two breaks in one flow, a delay, traffic in both directions of
// each connection with the same packet ids, and clean sessions.
func Coverage() []Case {
	return append(append(ForwardCases(), BothWaysCases()...), CleanCases()...)
}

// ForwardCases is Coverage's one-message cases on the forward topology.
func ForwardCases() []Case {
	cs := []Case{{Messages: 1}}
	cs = append(cs, BreakPoints()...)
	for _, s := range []string{
		"break after-send PUBLISH#1; break after-send PUBLISH#2", // the payload lost twice
		"break after-send PUBREC#1; break after-send PUBREC#2",   // the PUBLISH arrives three times
		"break after-send PUBREC#1; break after-send PUBREL#1",   // a break at each exchange
		"delay PUBREC#1 +40", // the subscriber's leg runs ahead
	} {
		cs = append(cs, Case{Faults: mustSchedule(s), Messages: 1})
	}
	return cs
}

// BothWaysCases are the topologies where a connection carries flows both
// ways: alice and carol publishing to each other (pair), and a client
// subscribed to its own topic (self). With lowest-free ids the same id is
// in flight both ways at once; the breaks hit a connection while the
// broker's delivery on it is in flight.
func BothWaysCases() []Case { return append(pairCases(), selfCases()...) }

func pairCases() []Case {
	var cs []Case
	for _, s := range []string{"", "break after-send PUBLISH#3", "break after-recv PUBLISH#3", "break after-send PUBREC#3"} {
		cs = append(cs, Case{Topology: sim.Pair, Messages: 2, Faults: mustSchedule(s)})
	}
	return cs
}

func selfCases() []Case {
	var cs []Case
	for _, s := range []string{"", "break after-send PUBLISH#2", "break after-recv PUBLISH#2"} {
		cs = append(cs, Case{Topology: sim.Self, Messages: 1, Faults: mustSchedule(s)})
	}
	return cs
}

// CleanCases run with clean sessions: every client asks for a new session
// at each connect, so a break loses what was in flight to it and the
// subscriber subscribes again. The model says what may be lost.
func CleanCases() []Case {
	var cs []Case
	for _, s := range []string{"", "break after-send PUBLISH#1", "break after-send PUBREC#1", "break after-send PUBLISH#2"} {
		cs = append(cs, Case{Messages: 1, Clean: true, Faults: mustSchedule(s)})
	}
	return cs
}

func mustSchedule(s string) sim.Schedule {
	sch, err := sim.ParseSchedule(s)
	if err != nil {
		panic(err)
	}
	return sch
}

// maxScenarioMessages leaves out scenarios too long for real sockets
// (packet-id-wrap sends 65,600 messages).
const maxScenarioMessages = 100

// Scenarios turns the named scenarios whose faults apply to real
// implementations into cases: stream mode, faults only from breaks and
// delays, no random faults, a broker in the system (a direct scenario's
// client and server become publisher, broker and subscriber). Their other
// settings (receive maximum, id policy, payloads, intervals) belong to the
// model's configuration and are not imposed on the implementation under
// test.
func Scenarios() ([]Case, error) {
	lib, err := scenarios.Library()
	if err != nil {
		return nil, err
	}
	var cs []Case
	for _, sc := range lib {
		b := sc.Base
		n := b.Network
		if b.Endpoint.Mode != model.Stream || n.BreakMeanTicks > 0 || n.CrashMeanTicks > 0 || n.Loss > 0 || n.Dup > 0 ||
			b.Workload.Messages > maxScenarioMessages {
			continue
		}
		c := Case{Name: "scenario " + sc.Name, Faults: b.Faults, Messages: max(b.Workload.Messages, 1),
			Topology: b.Topology, Clean: b.Endpoint.CleanStart}
		if ValidateCase(c) != nil {
			continue // a server that publishes (no broker to test), or a fault a real implementation cannot take
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// CaseSets are the named sets of cases --cases selects.
var CaseSets = []string{"coverage", "forward", "both-ways", "pair", "self", "clean", "break-points", "scenarios", "all"}

// Cases returns a named set.
func Cases(set string) ([]Case, error) {
	switch set {
	case "coverage":
		return Coverage(), nil
	case "forward":
		return ForwardCases(), nil
	case "both-ways":
		return BothWaysCases(), nil
	case "pair":
		return pairCases(), nil
	case "self":
		return selfCases(), nil
	case "clean":
		return CleanCases(), nil
	case "break-points":
		return append([]Case{{Messages: 1}}, BreakPoints()...), nil
	case "scenarios":
		return Scenarios()
	case "all":
		sc, err := Scenarios()
		return append(Coverage(), sc...), err
	}
	return nil, fmt.Errorf("case set %q: allowed values are %s", set, strings.Join(CaseSets, ", "))
}

// Search draws n cases from the property generators' fault schedules
// (breaks and delays, up to maxMessages messages), reproducibly from seed.
func Search(n int, seed uint64, maxMessages int) []Case {
	base := sim.Config{Variant: "qos2-b", Topology: sim.Brokered, Endpoint: model.Config{Mode: model.Stream}}
	space := properties.Space{MaxMessages: maxMessages, MaxFaults: 3, Actions: []sim.Action{sim.Break, sim.Delay},
		IDPolicies: []model.IDPolicy{model.LowestFree}, ReceiveMax: []int{model.DefaultReceiveMax}, Packets: breakPointTypes}
	gen := space.Gen(base)
	params := gopter.DefaultGenParameters()
	params.Rng = rand.New(rand.NewSource(int64(seed)))
	var cs []Case
	for i := 0; i < n; i++ {
		params.MaxSize = min(100, 10+i*90/max(n, 1)) // small cases first, as a search does
		r := gen(params)
		v, ok := r.Retrieve()
		if !ok {
			continue
		}
		pc := v.(properties.Case)
		faults := slices.DeleteFunc(slices.Clone(pc.Faults), func(f sim.Fault) bool { return f.Action == sim.Crash })
		c := Case{Faults: faults, Messages: pc.Messages}
		c.Name = fmt.Sprintf("search %d: %s", i+1, c.Label())
		cs = append(cs, c)
	}
	return cs
}
