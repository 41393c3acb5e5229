// Package study runs many seeded simulations at once and turns them into
// tables and charts for design documents: a comparison of variants under
// network profiles, or a sweep of one parameter.
//
// Statistics are streamed into accumulators of exact integers (counts,
// sums, sums of squares in 128 bits, histograms of integer latencies), so
// memory does not grow with the number of runs, and merging is addition:
// the result is the same whatever the number of workers, whatever the
// order runs finish in, and whether the study ran in one process or as
// shards on many machines. Means carry 95% confidence intervals from
// Student's t over runs; quantiles come from gonum's stat.
//
// Usage:
//
//	st, cells, err := study.Compare(sim.Config{Workload: sim.Workload{Messages: 100}},
//		[]string{"qos2-a", "qos2-b"}, study.Profiles[:3], 200, 1)
//	accs, _, err := study.Execute(ctx, study.Plan{Cells: cells, Runs: st.Runs, Seed: st.Seed})
//	table, err := st.Table(accs, nil)
//	err = table.Write(os.Stdout, "markdown")
package study
