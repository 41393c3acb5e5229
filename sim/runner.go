package sim

// Runner runs configs one after another and reuses the buffers of each run
// for the next: the event queue, the input slab, the output buffer, the
// timer tables, the endpoints' arrays (through model.Copier: a sender's
// queue of unsent messages is most of a long run's garbage), the workload
// messages while the workload settings stay the same, and the Result with
// its arrays. A sweep of many short runs thus
// allocates little more than the endpoints, and a long run leaves no
// garbage for the collector to chase on the core it shares with the loop.
//
// Every run starts from the same state as a fresh Sim: a Runner's result
// for a config is identical to Run's, whatever ran before on it.
//
// The result is valid until the next Run of the same Runner, which
// overwrites it; copy what must outlive that. A Runner is not safe for
// concurrent use: give each goroutine its own. The zero Runner is ready.
type Runner struct {
	s Sim
}

// Run executes cfg like the package's Run. The error names the offending
// field; on an error the previous result stays valid.
func (r *Runner) Run(cfg Config) (*Result, error) {
	if err := r.s.init(cfg); err != nil {
		return nil, err
	}
	return r.s.Run(), nil
}
