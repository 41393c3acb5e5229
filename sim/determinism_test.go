package sim

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/qoslab/qoslab/model"
)

func traceBytes(t *testing.T, c Config) []byte {
	t.Helper()
	c.Trace = true
	res := mustRun(t, c)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// One seed and one config give byte-identical results and traces; another
// seed gives another run.
func TestSameSeedSameRun(t *testing.T) {
	configs := map[string]Config{
		"datagram": {Variant: "qos2-a", Endpoint: model.Config{Mode: model.Datagram},
			Workload: Workload{Messages: 40}, Network: Network{Loss: 0.2, Dup: 0.1, JitterTicks: 15}},
		"stream": {Variant: "qos2-b", Workload: Workload{Messages: 40},
			Network: Network{BreakMeanTicks: 40, JitterTicks: 3}},
		"broker": {Variant: "qos2-b", Topology: Brokered, Endpoint: model.Config{Mode: model.Datagram},
			Workload: Workload{Messages: 20}, Network: Network{Loss: 0.3, JitterTicks: 9}},
	}
	for name, c := range configs {
		t.Run(name, func(t *testing.T) {
			c.Seed = 7
			a, b := traceBytes(t, c), traceBytes(t, c)
			if !bytes.Equal(a, b) {
				t.Fatal("two runs with seed 7 differ")
			}
			c.Seed = 8
			if bytes.Equal(a, traceBytes(t, c)) {
				t.Fatal("seeds 7 and 8 gave identical runs: the seed does not reach the faults")
			}
		})
	}
}

// Tracing must not change what happens.
func TestTracingDoesNotChangeTheRun(t *testing.T) {
	c := benchConfig(3)
	c.Workload.Messages = 300
	a := mustRun(t, c)
	c.Trace = true
	b := mustRun(t, c)
	if a.Events != b.Events || a.Summarize().Bytes != b.Summarize().Bytes || a.EndTicks != b.EndTicks {
		t.Fatalf("trace on/off differ: events %d/%d, end %d/%d", a.Events, b.Events, a.EndTicks, b.EndTicks)
	}
}

// The replay line names only settings that differ from their defaults; a
// moved start does not drag the derived heal time in with it.
func TestCommandOmitsDerivedDefaults(t *testing.T) {
	c := Config{Workload: Workload{StartTicks: 100, Messages: 2}}
	if got, want := c.Command(), "simulate run --variant qos2-b --seed 0 --messages 2 --start 100"; got != want {
		t.Fatalf("Command() = %s\nwant        %s", got, want)
	}
}
