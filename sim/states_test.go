package sim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
)

// Recording states leaves the run as it is: the same trace and metrics.
func TestRunStatesLeavesTheRunAlone(t *testing.T) {
	for _, faults := range []string{"", "break after-send PUBLISH#1", "crash %s after-recv PUBREL#1; lose PUBREC#1"} {
		for topo := range numTopologies {
			faults := strings.ReplaceAll(faults, "%s", topo.Layout().Nodes[1].Name)
			cfg := Config{Topology: topo, Workload: Workload{Messages: 3}, Trace: true}
			if strings.Contains(faults, "lose") {
				cfg.Endpoint.Mode = model.Datagram
			}
			var err error
			if cfg.Faults, err = ParseSchedule(faults); err != nil {
				t.Fatal(err)
			}
			want, err := Run(cfg)
			if err != nil {
				t.Fatal(err)
			}
			wj, _ := json.Marshal(want)
			cfg.Trace = false // RunStates turns it on
			got, st, err := RunStates(cfg)
			if err != nil {
				t.Fatal(err)
			}
			gj, _ := json.Marshal(got)
			if string(gj) != string(wj) {
				t.Errorf("%s %q: RunStates changed the run", topo, faults)
			}
			if len(st.Endpoints) != len(topo.Layout().Nodes) {
				t.Errorf("%s: endpoints %v", topo, st.Endpoints)
			}
		}
	}
}

// The states of break point 1 as a viewer shows them: which trace event
// each state takes effect at, and what it holds.
func TestRunStatesBreakPoint(t *testing.T) {
	f, _ := ParseSchedule("break after-send PUBLISH#1")
	res, st, err := RunStates(Config{Workload: Workload{Messages: 1}, Faults: f})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%+v", st.Endpoints); got != "[{Node:client Peers:[server] Broker:false Publishes:true Receives:false} {Node:server Peers:[client] Broker:false Publishes:false Receives:true}]" {
		t.Fatalf("endpoints %s", got)
	}
	var lines []string
	for _, s := range st.Steps {
		ev := "start"
		if s.At >= 0 {
			ev = res.Trace[s.At].Kind.String() + "@" + res.Trace[s.At].Node
		}
		lines = append(lines, st.Endpoints[s.Endpoint].Node+" "+ev+": "+strings.Join(s.Pending, ", "))
		if s.Held != 0 && s.Endpoint == 0 {
			t.Errorf("a sender holds %d", s.Held)
		}
	}
	want := []string{
		"client start: ",
		"server start: ",
		"client recv@client: 1 message(s) queued for a packet id", // published as the CONNACK arrives
		"client recv@client: id 1 waiting for PUBREC (m1)",
		"server recv@server: id 1 held until PUBREL",
		"client recv@client: id 1 waiting for PUBCOMP (m1)",
		"server recv@server: ",
		"client recv@client: ",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("states:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
