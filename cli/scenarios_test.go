package cli

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/scenarios"
)

func TestScenariosListsTheLibrary(t *testing.T) {
	out, _, code := runArgs(t, "scenarios")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"break-point-1\n  why:    the connection breaks while PUBLISH is in flight",
		"packet-id-wrap", "expect: qos2-a exactly-once, qos2-b exactly-once", "setup:  --seed 1 --messages 1 --faults"} {
		if !strings.Contains(out, want) {
			t.Errorf("simulate scenarios lacks %q:\n%s", want, out)
		}
	}
}

func TestRunScenarioOneVariantShowsTheDiagram(t *testing.T) {
	out, errOut, code := runArgs(t, "run", "--scenario", "break-point-3", "--variant", "qos2-b")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"scenario break-point-3\n", "PUBREL id=1 ------x S  lost: connection broken",
		"qos2-b               expect exactly-once   got exactly-once", "  ok\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A variant outside the scenario's expectations runs without a check.
func TestRunScenarioOtherVariant(t *testing.T) {
	out, _, code := runArgs(t, "run", "--scenario", "heavy-reordering", "--variant", "qos2-a", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var got struct {
		Name    string
		Reports []struct {
			Variant, Verdict string
			OK               bool
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Name != "heavy-reordering" || len(got.Reports) != 1 || got.Reports[0].Verdict != "duplicate" || !got.Reports[0].OK {
		t.Fatalf("%+v", got)
	}
}

func TestRunScenarioFile(t *testing.T) {
	out, errOut, code := runArgs(t, "run", "--scenario-file", "../docs/examples/my-scenario.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "scenario my-scenario") || strings.Count(out, "  ok\n") != 2 {
		t.Fatalf("output:\n%s", out)
	}
	// A file whose expectation does not hold exits 1 and says which.
	dir := t.TempDir()
	wrong := filepath.Join(dir, "wrong.yaml")
	text := "name: wrong\nwhy: expects a loss that does not happen\nmessages: 2\nexpect:\n  qos2-b: {verdict: loss}\n"
	if err := os.WriteFile(wrong, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = runArgs(t, "run", "--scenario-file", wrong)
	if code != 1 || !strings.Contains(errOut, "qos2-b: verdict exactly-once, want loss") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestRunScenarioBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: b\nwhy: w\nmode: datagram\nloss: 2\nexpect:\n  qos2-b: {verdict: loss}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		`bad.yaml:4: field "loss": 2 is not a probability; allowed 0..1`: {"run", "--scenario-file", bad},
		`unknown scenario "nope"`:                {"run", "--scenario", "nope"},
		"--messages: a scenario fixes the setup": {"run", "--scenario", "break-point-1", "--messages", "3"},
		"give one of them":                       {"run", "--scenario", "break-point-1", "--scenario-file", bad},
		`--variant: unknown variant "qos9"`:      {"run", "--scenario", "break-point-1", "--variant", "qos9"},
		"no such file":                           {"run", "--scenario-file", filepath.Join(dir, "none.yaml")},
	}
	for want, args := range cases {
		_, errOut, code := runArgs(t, args...)
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("simulate %v: exit %d, stderr %q; want exit 2 and %q", args, code, errOut, want)
		}
	}
}

func TestScenariosCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole library")
	}
	out, errOut, code := runArgs(t, "scenarios", "--check")
	if code != 0 || strings.Contains(out, "MISMATCH") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
}

// A scenario file takes every setting `simulate run` takes, under the same
// name, so that a run and a scenario translate into each other.
func TestScenarioFieldsAreTheRunFlags(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	addRunFlags(fs)
	fields := map[string]bool{}
	for _, f := range scenarios.SetupFields() {
		fields[f] = true
	}
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "variant" && !fields[f.Name] {
			t.Errorf("flag --%s has no scenario field", f.Name)
		}
		delete(fields, f.Name)
	})
	delete(fields, "runs")
	for f := range fields {
		t.Errorf("scenario field %q is no flag of simulate run", f)
	}
}
