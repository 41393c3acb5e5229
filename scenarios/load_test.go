package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The example file in the docs loads and meets its own expectations.
func TestExampleFile(t *testing.T) {
	sc, err := LoadFile("../docs/examples/my-scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "my-scenario" || sc.Runs != 5 || sc.Base.Network.Loss != 0.1 || len(sc.Base.Faults) != 2 {
		t.Fatalf("loaded %+v", sc)
	}
	for _, r := range sc.Check() {
		if !r.OK() {
			t.Errorf("%s: %v %s", r.Variant, r.Mismatches, r.Skipped)
		}
	}
}

// JSON is YAML: the same scenario written as JSON loads to the same setup.
func TestJSONAndYAMLAgree(t *testing.T) {
	y := "name: j\nwhy: same\nmode: datagram\nloss: 0.25\nmessages: 4\nfaults: lose PUBREC#1\nexpect:\n  qos2-b: {verdict: exactly-once, packets: 17}\n"
	j := `{"name": "j", "why": "same", "mode": "datagram", "loss": 0.25, "messages": 4, "faults": "lose PUBREC#1",
	  "expect": {"qos2-b": {"verdict": "exactly-once", "packets": 17}}}`
	a, err := Load("a.yaml", []byte(y), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load("b.json", []byte(j), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Setup() != b.Setup() || len(b.Expect) != 1 || b.Expect[0].Counts[0] != (CountFigure{"packets", 17}) {
		t.Fatalf("YAML %q / JSON %q differ", a.Setup(), b.Setup())
	}
}

// Bad files are refused with the file, the line, the field and what is
// allowed; never a panic.
func TestStrictLoading(t *testing.T) {
	const head = "name: s\nwhy: w\n"
	const tail = "expect:\n  qos2-b: {verdict: exactly-once}\n"
	cases := []struct{ text, want string }{
		{head + "lossy: 0.1\n" + tail, `s.yaml:3: field "lossy": unknown field; allowed fields are name, why, expect, topology`},
		{head + "messages: three\n" + tail, `s.yaml:3: field "messages": want a whole number 1..10000000, got the string "three"`},
		{head + "messages: 2.5\n" + tail, `field "messages": want a whole number`},
		{head + "messages: -4\n" + tail, `s.yaml:3: field "messages": -4 is negative; allowed 1..10000000`},
		{head + "mqtt: 3.1.1\nsession-expiry: 30\n" + tail, `field "session-expiry": 30: the Session Expiry Interval is MQTT 5.0's; mqtt 3.1.1 has none`},
		{head + "interval: 0\n" + tail, `field "interval": 0 is out of range; allowed 1..1000000000`},
		{head + "latency: 9223372036854775807\n" + tail, `field "latency": 9223372036854775807 is out of range; allowed 1..1000000000`},
		{head + "jitter: -1\n" + tail, `field "jitter": -1 is negative; allowed 0..1000000000`},
		{head + "mode: datagram\nloss: 1.5\n" + tail, `s.yaml:4: field "loss": 1.5 is not a probability; allowed 0..1`},
		{head + "mode: datagram\ndup: -0.1\n" + tail, `field "dup": -0.1 is not a probability; allowed 0..1`},
		{head + "loss: \"0.1\"\n" + tail, `field "loss": want a probability in [0,1], got the string "0.1"`},
		{head + "volatile: yes\n" + tail, `field "volatile": want true or false, got the string "yes"`},
		{head + "mode: tcp\n" + tail, `field "mode": mode "tcp": allowed values are stream, datagram`},
		{head + "faults: lose PUBREC\n" + tail, `field "faults": fault 1 "lose PUBREC"`},
		{head + "expect:\n  qos7: {verdict: loss}\n", `s.yaml:4: field "expect": unknown variant "qos7": allowed values are`},
		{head + "sub-variant: qos9\n" + tail, `field "sub-variant": unknown variant "qos9"`},
		{head + "sub-variant: qos1\n" + tail, `field "sub-variant": qos1: a subscription needs a topology with a broker (broker, pair, self)`},
		{head + "expect:\n  qos2-b: {verdict: fine}\n", `field "expect.qos2-b.verdict": verdict "fine": allowed values are exactly-once, abandoned, duplicate, loss, duplicate+loss`},
		{head + "expect:\n  qos2-b: {verdict: loss, lots: 3}\n", `field "expect.qos2-b.lots": unknown field; allowed are verdict, exactly-once`},
		{head + "expect:\n  qos2-b: {lost: -1}\n", `field "expect.qos2-b.lost": -1 is negative`},
		{head + "expect: {}\n", `field "expect": empty; give at least one variant`},
		{head + "expect:\n  qos2-b: loss\n", `field "expect.qos2-b": want a mapping, got the string "loss"`},
		{head + "messages: 1\nmessages: 2\n" + tail, `field "messages": given twice`},
		{"why: w\n" + tail, `field "name": missing`},
		{"name: s\n" + tail, `field "why": missing`},
		{head, `field "expect": missing`},
		{"name: Bad Name\nwhy: w\n" + tail, `field "name": "Bad Name": want lower-case letters`},
		{head + "loss: 0.1\n" + tail, `the setup is not a valid run for variant qos2-b: loss/dup: per-packet faults need mode datagram`},
		{"", `s.yaml: empty file`},
		{"[1, 2]", `s.yaml:1: want a mapping, got a list`},
		{"a: [", `s.yaml: not valid YAML or JSON`},
		{"a: &x 1\nb: *x\n", `s.yaml:1: anchors and aliases are not allowed`},
		{head + tail + "---\nname: t\n", `s.yaml:5: more than one document`},
		{"a: " + strings.Repeat("[", 20) + strings.Repeat("]", 20), `nested too deeply`},
	}
	for _, c := range cases {
		_, err := Load("s.yaml", []byte(c.text), Options{})
		var le *LoadError
		if !errors.As(err, &le) {
			t.Errorf("%q: error %v, want a *LoadError", c.text, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n got  %v\n want %s", c.text, err, c.want)
		}
	}
}

// The library may name variants that land later; user files may not.
func TestUnregisteredVariantsOnlyInTheLibrary(t *testing.T) {
	text := "name: s\nwhy: w\nexpect:\n  qos2-b: {verdict: exactly-once}\n  not-yet-a-variant: {verdict: loss}\n"
	if _, err := Load("s.yaml", []byte(text), Options{}); err == nil {
		t.Fatal("user file with an unknown variant accepted")
	}
	sc, err := Load("s.yaml", []byte(text), Options{AllowUnregistered: true})
	if err != nil {
		t.Fatal(err)
	}
	reports := sc.Check()
	if !reports[0].OK() || reports[1].OK() || reports[1].Skipped == "" {
		t.Fatalf("want qos2-b checked and the unknown variant skipped (not OK): %+v", reports)
	}
}

func TestLoadFileErrors(t *testing.T) {
	_, err := LoadFile(filepath.Join(t.TempDir(), "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, make([]byte, maxFileBytes+10), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("big file: %v", err)
	}
}

// FuzzLoad feeds the loader arbitrary bytes: it returns a scenario or a
// *LoadError, never panics. The default test run executes the seed corpus
// (the library, the example and testdata/fuzz/FuzzLoad); `go test -fuzz
// FuzzLoad ./scenarios` searches further.
func FuzzLoad(f *testing.F) {
	lib, err := Library()
	if err != nil {
		f.Fatal(err)
	}
	for _, sc := range lib {
		data, _ := LibraryFile(sc)
		f.Add(data)
	}
	if ex, err := os.ReadFile("../docs/examples/my-scenario.yaml"); err == nil {
		f.Add(ex)
	}
	f.Add([]byte(`{"name":"x","why":"y","expect":{"qos2-b":{"verdict":"loss"}},"loss":1e999}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Load("fuzz.yaml", data, Options{})
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T %v is not a *LoadError", err, err)
			}
			return
		}
		if sc.Name == "" || sc.Why == "" || len(sc.Expect) == 0 {
			t.Fatalf("accepted an incomplete scenario: %+v", sc)
		}
		if err := sc.Config(sc.Expect[0].Variant, 0).Normalize().Validate(); err != nil {
			t.Fatalf("accepted a setup the simulator refuses: %v", err)
		}
	})
}
