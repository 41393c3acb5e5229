package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
	"github.com/qoslab/qoslab/study"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// studyFlags are the flags of the commands that run many seeded runs
// (compare, sweep): which variants, how many runs, which shard, where the
// output goes.
type studyFlags struct {
	run                        *runFlags
	fs                         *flag.FlagSet
	variants, shard, save, out string
	format, columns            string
	runs, workers              int
	analytic                   bool
}

// studyMessages is the default --messages of compare and sweep: enough for
// packet ids to come back, as they do on a connection that lives longer
// than a few messages, so that the stores that fail on reused ids show it
// (with 3 messages two-packet-pid looked exactly once at half QoS 2's cost).
const studyMessages = headlineMessages

func addStudyFlags(fs *flag.FlagSet, runs int, formats string) *studyFlags {
	f := &studyFlags{run: addRunFlags(fs), fs: fs}
	f.run.messages = studyMessages
	m := fs.Lookup("messages")
	m.DefValue, m.Usage = strconv.Itoa(studyMessages), "messages the publisher sends per run (the default lets packet ids come back)"
	fs.StringVar(&f.variants, "variants", "", "comma-separated variants (default: every registered variant; simulate variants lists them)")
	fs.IntVar(&f.runs, "runs", runs, "seeded runs per cell; run r has seed --seed + r")
	fs.IntVar(&f.workers, "workers", 0, "parallel workers (0: one per core); the results do not depend on it")
	fs.StringVar(&f.shard, "shard", "", "run only shard i/n of the seeds (run r belongs to shard r mod n) and write its results for simulate merge")
	fs.StringVar(&f.save, "save", "", "also write the exact results to this file (JSON, for simulate merge)")
	fs.StringVar(&f.out, "out", "", "write the output to this file instead of stdout (whole or not at all)")
	fs.StringVar(&f.format, "format", "text", "output format: "+formats)
	fs.StringVar(&f.columns, "columns", "", "comma-separated metric columns (default: all; see docs/guide.md)")
	fs.BoolVar(&f.analytic, "analytic", false, "add the analytic model's exact packets, bytes, resends and completion time per message beside the simulated ones, where its assumptions hold (docs/analytic.md)")
	return f
}

func (f *studyFlags) visited(name string) bool {
	seen := false
	f.fs.Visit(func(fl *flag.Flag) { seen = seen || fl.Name == name })
	return seen
}

// base is the run flags' config with the settings that default from
// others (start, heal, max ticks) left to default per cell, since a
// profile or a swept value changes what they depend on.
func (f *studyFlags) base() (sim.Config, error) {
	c, err := f.run.config()
	if err != nil {
		return c, err
	}
	if !f.visited("start") {
		c.Workload.StartTicks = 0
	}
	if !f.visited("heal") {
		c.Network.HealTicks = 0
	}
	if !f.visited("sub-variant") {
		c.SubscriberVariant = "" // each cell's own variant, not --variant's default
	}
	c.MaxTicks = 0
	return c, nil
}

func (f *studyFlags) variantList() ([]string, error) {
	list, flagName := f.variants, "variants"
	if f.visited("variant") {
		if f.visited("variants") {
			return nil, usagef("--variant %s and --variants %s: give one of them (--variants takes a comma-separated list)", f.run.variant, f.variants)
		}
		list, flagName = f.run.variant, "variant"
	} else if f.visited("variants") && list == "" {
		return nil, usagef("--variants: empty value; leave the flag out for every registered variant")
	}
	if list == "" {
		return model.Names(), nil
	}
	var vs []string
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		if _, err := model.Lookup(v); err != nil {
			return nil, usagef("--%s: %v", flagName, err)
		}
		vs = append(vs, v)
	}
	if err := noRepeats(flagName, vs); err != nil {
		return nil, err
	}
	return vs, nil
}

// noRepeats rejects a list that names an item twice: it would make two
// identical rows of one table.
func noRepeats(flagName string, items []string) error {
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it] {
			return usagef("--%s: %q named twice", flagName, it)
		}
		seen[it] = true
	}
	return nil
}

// checkOutputs fails before any work is done when an output file could not
// be written: its directory is missing, or the path is a directory.
func checkOutputs(paths map[string]string) error {
	names := make([]string, 0, len(paths))
	for n := range paths {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := paths[n]
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return usagef("--%s %s: is a directory; want a file path", n, p)
		}
		if fi, err := os.Stat(filepath.Dir(p)); err != nil || !fi.IsDir() {
			return usagef("--%s %s: directory %s does not exist", n, p, filepath.Dir(p))
		}
	}
	return nil
}

// notWith rejects run flags that a command sets itself (a compare's
// profiles, a sweep's parameter) so that a value given is never ignored.
func (f *studyFlags) notWith(why string, names ...string) error {
	for _, n := range names {
		if f.visited(n) {
			return usagef("--%s: %s", n, why)
		}
	}
	return nil
}

// table checks the flags that shape the printed table, --format and
// --columns, and returns the columns.
func (f *studyFlags) table() ([]study.Metric, error) {
	if !validFormat(f.format) {
		return nil, usagef("--format %q: allowed values are %s", f.format, strings.Join(study.Formats, ", "))
	}
	metrics, err := study.ParseMetrics(f.columns)
	if err != nil {
		return nil, usagef("--columns: %v", err)
	}
	return metrics, nil
}

func (f *studyFlags) check() (study.Shard, error) {
	if f.runs < 1 || f.runs > 100_000_000 {
		return study.Shard{}, usagef("--runs %d: allowed 1..100000000", f.runs)
	}
	if f.workers < 0 {
		return study.Shard{}, usagef("--workers %d: must not be negative (0: one per core)", f.workers)
	}
	sh, err := study.ParseShard(f.shard)
	if err != nil {
		return sh, usagef("--shard: %v", err)
	}
	return sh, checkOutputs(map[string]string{"out": f.out, "save": f.save})
}

// interrupt is the context that Ctrl-C cancels; tests replace it.
var interrupt = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// execute runs a study's plan with a progress bar on stderr when stderr is
// a terminal. Ctrl-C stops it cleanly; the error says how many runs were
// made and that nothing was written.
func execute(stderr io.Writer, st study.Study, cells []sim.Config, f *studyFlags, sh study.Shard) (*study.Results, error) {
	if f.analytic {
		st.AddAnalytic(cells)
	}
	p := study.Plan{Cells: cells, Runs: f.runs, Seed: f.run.seed, Shard: sh, Workers: f.workers}
	total := p.Total()
	if file, ok := stderr.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		bar := progressbar.NewOptions64(int64(total), progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetVisibility(true), progressbar.OptionSetDescription(st.Kind),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("runs"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		p.Progress = func(int64) { bar.Add(1) }
		defer bar.Close()
	}
	ctx, stop := interrupt()
	defer stop()
	accs, done, err := study.Execute(ctx, p)
	if ctx.Err() != nil {
		return nil, interruptedError{fmt.Sprintf("interrupted: %d of %d runs finished; nothing written", done, total)}
	}
	if err != nil {
		return nil, err
	}
	return study.NewResults(st, sh, done, accs), nil
}

// emit writes a study's output: the results file when --save or --shard
// asks for it, and the table (or the shard's results) to --out or stdout.
func emit(stdout io.Writer, res *study.Results, f *studyFlags, sharded bool, write func(io.Writer) error) error {
	if f.save != "" {
		if err := study.WriteFile(f.save, res.Encode); err != nil {
			return err
		}
	}
	if sharded {
		write = res.Encode
	}
	if f.out != "" {
		return study.WriteFile(f.out, write)
	}
	return write(stdout)
}
