package study_test

import (
	"context"
	"fmt"
	"os"

	"github.com/qoslab/qoslab/sim"
	"github.com/qoslab/qoslab/study"
)

// QoS 2 over a clean TCP connection, 5 runs of 10 messages: four packets
// per message (plus the CONNECT/CONNACK pair spread over ten messages)
// and no retransmission. No duplicate among 50 messages bounds the rate by
// the Wilson interval's upper end, 71 per 1,000: 50 messages prove little.
func Example() {
	clean, _ := study.LookupProfile("clean")
	st, cells, err := study.Compare(sim.Config{Workload: sim.Workload{Messages: 10}}, []string{"qos2-b"}, []study.Profile{clean}, 5, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	accs, done, err := study.Execute(context.Background(), study.Plan{Cells: cells, Runs: st.Runs, Seed: st.Seed})
	if err != nil {
		fmt.Println(err)
		return
	}
	metrics, _ := study.ParseMetrics("duplicated_per_1k,packets_per_msg,payload_resends_per_msg,delivery_p99")
	table, _ := st.Table(accs, metrics)
	fmt.Println(done, "runs")
	table.Write(os.Stdout, "csv")
	// Output:
	// 5 runs
	// profile,variant,duplicated_per_1k,duplicated_per_1k_lo95,duplicated_per_1k_hi95,packets_per_msg,packets_per_msg_ci95,payload_resends_per_msg,payload_resends_per_msg_ci95,delivery_p99
	// clean,qos2-b,0.00,0.00,71.35,4.20,0.00,0.000,0.000,10
}
