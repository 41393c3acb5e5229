package sim

import (
	"testing"

	"github.com/qoslab/qoslab/model"
)

// The four break points of the question's answer (seed-question.txt):
//
//	C --- PUBLISH --> S
//	*1
//	C <-- PUBREC  --- S
//	*2
//	C --- PUBREL  --> S
//	*3
//	C <-- PUBCOMP --- S
//	*4
//
// In each the connection is lost while that packet is in flight; the client
// reconnects with the session kept and retransmits [MQTT-4.4.0-1]. The
// message must be delivered exactly once, and the payload resent only at
// *1 and *2: after PUBREC the client sends PUBREL instead [MQTT-4.3.3-6].
func TestBreakPointsOfTheAnswer(t *testing.T) {
	cases := []struct {
		name           string
		faults         string
		payloadResends int
	}{
		{"*1 PUBLISH in flight", "break after-send PUBLISH#1", 1},
		{"*2 PUBREC in flight", "break after-send PUBREC#1", 1},
		{"*3 PUBREL in flight", "break after-send PUBREL#1", 0},
		{"*4 PUBCOMP in flight", "break after-send PUBCOMP#1", 0},
	}
	for _, variant := range []string{"qos2-a", "qos2-b"} {
		for _, version := range []model.Version{model.V5, model.V311} {
			for _, c := range cases {
				t.Run(variant+"/"+version.String()+"/"+c.name, func(t *testing.T) {
					res := mustRun(t, Config{Variant: variant, Endpoint: model.Config{Version: version},
						Workload: Workload{Messages: 1}, Faults: mustSchedule(t, c.faults), Trace: true})
					s := res.Summarize()
					if s.ExactlyOnce != 1 || s.Duplicated != 0 || s.Missing != 0 {
						t.Errorf("delivery: %+v, want exactly once\n%s", s, res.Trace)
					}
					if s.PayloadResends != c.payloadResends {
						t.Errorf("payload resends = %d, want %d\n%s", s.PayloadResends, c.payloadResends, res.Trace)
					}
					if res.Breaks != 1 || !res.Settled {
						t.Errorf("breaks = %d, settled = %v (%v), want one break and a settled run", res.Breaks, res.Settled, res.Pending)
					}
					// The PUBLISH is never resent once PUBREL went out.
					sentPubrel := false
					for _, e := range res.Trace {
						if e.Kind != TSend {
							continue
						}
						if e.Packet.Type == model.PUBREL {
							sentPubrel = true
						}
						if e.Packet.Type == model.PUBLISH && sentPubrel {
							t.Errorf("PUBLISH resent after PUBREL at t=%d [MQTT-4.3.3-6]", e.At)
						}
					}
				})
			}
		}
	}
}

// Break point 1 where the PUBLISH did arrive before the break: the server
// holds the id, so the retransmitted PUBLISH (DUP=1) gets PUBREC again and
// is not delivered again [MQTT-4.3.3-10].
func TestRetransmittedPublishIsNotDeliveredAgain(t *testing.T) {
	res := mustRun(t, Config{Variant: "qos2-b", Workload: Workload{Messages: 1},
		Faults: mustSchedule(t, "break after-recv PUBLISH#1"), Trace: true})
	if got := res.Packets[model.PUBREC]; got != 2 {
		t.Errorf("PUBREC sent %d times, want 2 (the original, lost, and the answer to the DUP)", got)
	}
	if s := res.Summarize(); s.ExactlyOnce != 1 || s.PayloadResends != 1 {
		t.Errorf("%+v: want one delivery and one payload resend\n%s", s, res.Trace)
	}
}

func mustRun(t testing.TB, c Config) *Result {
	t.Helper()
	res, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func mustSchedule(t testing.TB, text string) Schedule {
	t.Helper()
	s, err := ParseSchedule(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
