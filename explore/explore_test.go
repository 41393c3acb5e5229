package explore

import (
	"testing"

	"github.com/qoslab/qoslab/model"
)

func mustRun(t *testing.T, o Options) *Result {
	t.Helper()
	r, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// counts is the pinned size of an explored space: any change to the model
// that alters the reachable states shows up here.
type counts struct {
	verdict            Verdict
	states, trans, max int
}

func (r *Result) counts() counts {
	return counts{r.Verdict, r.States, r.Transitions, r.MaxDepth}
}

// QoS 2 over TCP is exactly-once within these bounds, for both receiver
// methods (MQTT 5.0 section 4.3.3): no duplicate, no loss, always able to
// finish. Both methods reach the same number of states because they differ
// in when they deliver, not in what they hold.
func TestStreamQoS2IsProvenExactlyOnce(t *testing.T) {
	cases := []struct {
		o    Options
		want counts
	}{
		{Options{Messages: 3, Breaks: 2, IDs: 2}, counts{Proven, 1040, 2006, 24}},
		{Options{Messages: 3, Breaks: 3, IDs: 1}, counts{Proven, 574, 1187, 26}},
		{Options{Messages: 3, Breaks: 2, IDs: 2, Crashes: 1}, counts{Proven, 3016, 7625, 26}},
		{Options{Messages: 3, Breaks: 2, IDs: 2, Version: model.V311}, counts{Proven, 974, 1855, 23}}, // no 0x92 reason on a PUBCOMP for an unknown id
	}
	for _, v := range []string{"qos2-a", "qos2-b"} {
		for _, c := range cases {
			c.o.Variant = v
			r := mustRun(t, c.o)
			if got := r.counts(); got != c.want {
				t.Errorf("%s %+v: got %+v, want %+v", v, c.o, got, c.want)
			}
		}
	}
}
