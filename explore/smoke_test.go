package explore

import (
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
)

func TestSmoke(t *testing.T) {
	for _, o := range []Options{
		{Variant: "qos2-b", Messages: 1, Breaks: 1, IDs: 1},
		{Variant: "qos2-b", Messages: 2, Breaks: 1, IDs: 1},
		{Variant: "qos2-a", Messages: 3, Breaks: 2, IDs: 2},
		{Variant: "qos2-b", Messages: 3, Breaks: 2, IDs: 2},
		{Variant: "qos2-b", Mode: model.Datagram, Messages: 1, Dups: 1, Reorder: true},
		{Variant: "qos2-a", Mode: model.Datagram, Messages: 1, Dups: 1, Reorder: true},
		{Variant: "qos2-b", Mode: model.Datagram, Messages: 2, Losses: 1, IDs: 1},
		{Variant: "qos2-b", Messages: 1, Crashes: 1, Volatile: true, Version: model.V311},
	} {
		r, err := Run(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v: %s states=%d trans=%d depth=%d %v %.0f/s aband=%d", o, r.Verdict, r.States, r.Transitions, r.MaxDepth, r.Elapsed, r.StatesPerSecond(), r.Abandoned)
		if v := r.Violation; v != nil {
			t.Logf("%s", v)
			for _, s := range v.Steps {
				t.Logf("  %d %s %v", s.N, s.Move, s.Notes)
			}
			t.Logf("pending %v", v.Pending)
			t.Logf("replay %v %s note=%s", v.Reproduced, v.Replay.Command(), v.ReplayNote)
		}
	}
}

func TestSmokeRender(t *testing.T) {
	r, _ := Run(Options{Variant: "qos2-a", Mode: model.Datagram, Messages: 1, Dups: 1, Reorder: true})
	var b strings.Builder
	WriteTrace(&b, r.Violation)
	WriteMermaid(&b, r.Violation)
	t.Log("\n" + b.String())
}

func TestSmokeStates(t *testing.T) {
	r, _ := Run(Options{Variant: "qos2-b", Messages: 1, Breaks: 1, IDs: 1, Project: true})
	var b strings.Builder
	for _, m := range r.Machines() {
		m.WriteMermaid(&b)
		m.WriteDOT(&b)
	}
	t.Log("\n" + b.String())
}
