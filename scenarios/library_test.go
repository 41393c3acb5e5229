package scenarios

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/internal/docblock"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// Every built-in scenario runs under every variant it names and reaches the
// expected verdict and figures. Every variant the library names is
// registered: a skipped one (misspelt, renamed, removed) fails the test, or
// a scenario could stop checking anything and still pass.
func TestLibraryVerdicts(t *testing.T) {
	lib, err := Library()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range lib {
		t.Run(sc.Name, func(t *testing.T) {
			if testing.Short() && sc.Base.Workload.Messages > 10_000 {
				t.Skip("large workload; runs without -short")
			}
			for _, r := range sc.Check() {
				switch {
				case r.Skipped != "":
					t.Errorf("%s: SKIPPED (%s)", r.Variant, r.Skipped)
				case !r.OK():
					t.Errorf("%s: %s", r.Variant, strings.Join(r.Mismatches, "; "))
				default:
					checkFaultsFired(t, r)
					t.Logf("%s: %s as expected (%d messages, %d packets, %d bytes, %d payload resends)", r.Variant,
						r.Verdict(), r.Outcome.Messages, r.Outcome.Packets, r.Outcome.Bytes, r.Outcome.PayloadResends)
				}
			}
		})
	}
}

// The library tells the story of the answer: each item the issue asks for is
// there, every scenario has a verdict for every variant it names, and the
// file name matches the scenario name.
func TestLibraryShape(t *testing.T) {
	lib, err := Library()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, sc := range lib {
		if names[sc.Name] {
			t.Errorf("scenario %s defined twice", sc.Name)
		}
		names[sc.Name] = true
		if fileStem(sc.File) != sc.Name {
			t.Errorf("%s holds scenario %q; name the file after it", sc.File, sc.Name)
		}
		for _, e := range sc.Expect {
			if e.Verdict == "" {
				t.Errorf("%s: variant %s has no verdict", sc.Name, e.Variant)
			}
		}
		data, _ := LibraryFile(sc)
		if !strings.HasPrefix(string(data), "name: "+sc.Name+"\nwhy: ") {
			t.Errorf("%s: a scenario file starts with its name and then its why line", sc.File)
		}
	}
	for _, want := range []string{"break-point-1", "break-point-2", "break-point-3", "break-point-4", "lossy-datagram",
		"heavy-reordering", "flapping-connection", "packet-id-wrap", "server-crash-durable", "server-crash-volatile-311",
		"client-crash", "broker-slow-subscriber", "receive-max-window", "repeated-payloads"} {
		if !names[want] {
			t.Errorf("library lacks scenario %s", want)
		}
	}
}

func TestLookup(t *testing.T) {
	sc, err := Lookup("break-point-2")
	if err != nil || sc.Name != "break-point-2" {
		t.Fatalf("Lookup: %v %v", sc, err)
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "break-point-1") {
		t.Fatalf("unknown scenario error %v should list the names", err)
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// go generate ./... rewrites the scenario list in docs/scenarios.md.
//
//go:generate go test -run TestDocListIsCurrent -update

var update = flag.Bool("update", false, "rewrite the scenario list in docs/scenarios.md")

// The scenario list in docs/scenarios.md is generated from the library.
func TestDocListIsCurrent(t *testing.T) {
	lib, err := Library()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, lib); err != nil {
		t.Fatal(err)
	}
	docblock.Check(t, "../docs/scenarios.md", "scenario-list", b.Bytes(), *update,
		"run go test ./scenarios -run TestDocListIsCurrent -update")
	if *update {
		return
	}
	doc, err := os.ReadFile("../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	// The example file shown in the docs is the file the tests load.
	ex, err := os.ReadFile("../docs/examples/my-scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, []byte("```yaml\n"+string(ex)+"```")) {
		t.Errorf("docs/scenarios.md does not show docs/examples/my-scenario.yaml verbatim")
	}
}

// checkFaultsFired guards against vacuous expectations: every fault of the
// schedule must fire under every variant a scenario names (a fault on PUBREC
// never fires for QoS 1, which has none).
func checkFaultsFired(t *testing.T, r Report) {
	t.Helper()
	for _, f := range r.Outcome.Unfired {
		t.Errorf("%s: fault %q never fired", r.Variant, f)
	}
}

// heavy-reordering's why names the mechanism: every second delivery under
// QoS 2 comes from a PUBLISH that arrived after the receiver had already
// processed a PUBREL for its id, so the released id looked new.
func TestHeavyReorderingMechanism(t *testing.T) {
	sc, err := Lookup("heavy-reordering")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, v := range []string{"qos2-a", "qos2-b"} {
		c := sc.Config(v, 0)
		c.Trace = true
		res, err := sim.Run(c)
		if err != nil {
			t.Fatal(err)
		}
		released := map[uint16]bool{} // ids the server got a PUBREL for
		idOf := map[uint32]uint16{}   // message -> packet id
		delivered := map[uint32]int{}
		for _, e := range res.Trace {
			switch {
			case e.Kind == sim.TSend && e.Packet != nil && e.Packet.Type == model.PUBLISH:
				idOf[e.Packet.Msg.Ref] = e.Packet.ID
			case e.Kind == sim.TRecv && e.Node == "server" && e.Packet.Type == model.PUBREL:
				released[e.Packet.ID] = true
			case e.Kind == sim.TDeliver && e.Node == "server":
				delivered[e.Msg]++
				if delivered[e.Msg] < 2 {
					continue
				}
				seen++
				if !released[idOf[e.Msg]] {
					t.Errorf("%s: m%d delivered again at t=%d without a PUBREL for id %d before it", v, e.Msg, e.At, idOf[e.Msg])
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no duplicate delivery in run 0: the scenario no longer shows its point")
	}
}
