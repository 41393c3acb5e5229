package cli

import (
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
)

// `simulate variants` lists every registered variant with its description,
// and `simulate run --variant NAME` runs each of them, in both topologies.
func TestEveryVariantRunsFromTheCommandLine(t *testing.T) {
	list, _, code := runArgs(t, "variants")
	if code != 0 {
		t.Fatalf("variants: exit %d", code)
	}
	for _, v := range model.Variants() {
		if !strings.Contains(list, v.Name) || !strings.Contains(list, v.Description) {
			t.Errorf("variants does not list %s: %s", v.Name, list)
		}
		for _, args := range [][]string{
			{"run", "--variant", v.Name},
			{"run", "--variant", v.Name, "--mqtt", "3.1.1", "--mode", "datagram", "--loss", "0.2", "--messages", "5"},
			{"run", "--variant", v.Name, "--topology", "broker", "--sub-variant", "qos2-a", "--format", "json"},
		} {
			out, errOut, code := runArgs(t, args...)
			if code != 0 {
				t.Errorf("simulate %v: exit %d: %s", args, code, errOut)
				continue
			}
			if !strings.Contains(out, v.Name) || !strings.Contains(out, "--variant "+v.Name) {
				t.Errorf("simulate %v: output does not name the variant:\n%s", args, out)
			}
		}
	}
}

// A broker run says which variant ran on each leg: the broker forwards at
// the lower QoS of publication and subscription.
func TestBrokerRunShowsTheLegs(t *testing.T) {
	out, _, code := runArgs(t, "run", "--variant", "qos2-b", "--sub-variant", "qos1", "--topology", "broker")
	if code != 0 || !strings.Contains(out, "legs: publisher -> broker qos2-b, broker -> subscriber qos1") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	out, _, _ = runArgs(t, "run", "--variant", "qos1", "--sub-variant", "qos2-a", "--topology", "broker", "--format", "json")
	if !strings.Contains(out, `"legs": [`) || !strings.Contains(out, `"qos1",`+"\n"+`    "qos1"`) {
		t.Fatalf("JSON legs missing or wrong:\n%.400s", out)
	}
}

// The store and session settings round-trip through the replay line, and
// bad values are usage errors naming the flag.
func TestStoreAndSessionFlags(t *testing.T) {
	args := []string{"--variant", "two-packet-pid-ttl", "--ttl", "40", "--store-cap", "7", "--session-expiry", "25"}
	cfg := configFrom(t, args)
	if cfg.Endpoint.TTLTicks != 40 || cfg.Endpoint.StoreCap != 7 || cfg.Endpoint.SessionExpiryTicks != 25 {
		t.Fatalf("flags not applied: %+v", cfg.Endpoint)
	}
	line := cfg.Command()
	if again := configFrom(t, splitCommand(t, line)[2:]); again.Command() != line || again.Endpoint != cfg.Endpoint {
		t.Fatalf("replay line does not round-trip: %s", line)
	}
	_, errOut, code := runArgs(t, "run", "--session-expiry", "-1")
	if code != 2 || !strings.Contains(errOut, "--session-expiry -1") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
