package cli

import (
	"io"
	"strings"

	"github.com/qoslab/qoslab/study"
)

func init() {
	register(command{name: "compare", summary: "variants x network profiles, many seeded runs each: one table", run: compareCmd})
}

const compareSummary = `Runs every variant under every network/fault profile, --runs seeded runs
each, and prints one table: delivery outcomes per 1,000 messages, wire cost,
payload retransmissions, receiver state and latency, means with 95%
confidence intervals. docs/guide.md explains each column.

Profiles:`

func compareCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("compare", compareSummary+profileHelp())
	f := addStudyFlags(fs, 200, strings.Join(study.Formats, ", "))
	notFor(fs, "--profiles sets the network", profileFlags...)
	profiles := fs.String("profiles", "clean,lossy,flapping", "comma-separated network profiles: "+strings.Join(study.ProfileNames(), ", "))
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	sh, err := f.check()
	if err != nil {
		return err
	}
	metrics, err := f.table()
	if err != nil {
		return err
	}
	// A profile sets the network: a value given for these would be ignored.
	if err := f.notWith("compare takes the network from --profiles (simulate compare --help lists them); vary it with simulate sweep, or use simulate run",
		profileFlags...); err != nil {
		return err
	}
	var ps []study.Profile
	var names []string
	for _, name := range strings.Split(*profiles, ",") {
		p, err := study.LookupProfile(strings.TrimSpace(name))
		if err != nil {
			return usagef("--profiles: %v", err)
		}
		ps, names = append(ps, p), append(names, p.Name)
	}
	if err := noRepeats("profiles", names); err != nil {
		return err
	}
	variants, err := f.variantList()
	if err != nil {
		return err
	}
	base, err := f.base()
	if err != nil {
		return err
	}
	st, cells, err := study.Compare(base, variants, ps, f.runs, f.run.seed)
	if err != nil {
		return usageError{err.Error()}
	}
	res, err := execute(stderr, st, cells, f, sh)
	if err != nil {
		return err
	}
	return emit(stdout, res, f, sh.Count > 1, func(w io.Writer) error {
		t, err := res.Study.Table(res.Cells, metrics)
		if err != nil {
			return err
		}
		return t.Write(w, f.format)
	})
}

// profileFlags are the run flags a compare profile sets.
var profileFlags = []string{"mode", "loss", "dup", "jitter", "break-mean", "crash-mean"}

func validFormat(format string) bool {
	for _, f := range study.Formats {
		if f == format {
			return true
		}
	}
	return false
}

func profileHelp() string {
	var b strings.Builder
	for _, p := range study.Profiles {
		b.WriteString("\n  " + p.Name + strings.Repeat(" ", max(1, 10-len(p.Name))) + p.Description)
	}
	return b.String()
}
