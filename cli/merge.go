package cli

import (
	"flag"
	"io"
	"os"
	"strings"

	"github.com/qoslab/qoslab/study"
)

func init() {
	register(command{name: "merge", summary: "combine shard result files into the table of the whole study, or check parts into its report", run: mergeCmd})
}

const mergeSummary = `Reads the result files of the shards of one compare or sweep (written with
--shard i/n) and prints exactly what the unsharded command prints: the
accumulators are exact integers, so merging is addition.

It also merges the part files of one check (check --shard i/n): every part
must be there, each once. It prints what the unsharded check prints (the
verdict, the schedules tried, the counterexample of the lowest failing
shard, that is the first in schedule order, with its diagram and replay
line) and exits as check does: 0 held, 1 violated.

usage: simulate merge [flags] FILE...`

func mergeCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("merge", mergeSummary)
	var f studyFlags
	f.fs = fs
	fs.StringVar(&f.format, "format", "text", "output format: "+strings.Join(study.Formats, ", "))
	fs.StringVar(&f.columns, "columns", "", "comma-separated metric columns (default: all)")
	fs.StringVar(&f.out, "out", "", "write the table to this file instead of stdout (whole or not at all)")
	fs.StringVar(&f.save, "save", "", "also write the merged results to this file")
	ch := addChartFlags(&f)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("merge: no result files given (simulate merge shard-0.json shard-1.json ...)")
	}
	for _, a := range fs.Args() {
		if strings.HasPrefix(a, "-") {
			return usagef("merge: %q after the files: flags go before them (simulate merge [flags] FILE...)", a)
		}
	}
	if err := checkOutputs(map[string]string{"out": f.out, "save": f.save, "png": ch.png, "svg": ch.svg}); err != nil {
		return err
	}
	if isCheckPart(fs.Arg(0)) {
		var studyOnly []string
		fs.Visit(func(fl *flag.Flag) {
			if fl.Name != "format" && fl.Name != "out" {
				studyOnly = append(studyOnly, "--"+fl.Name)
			}
		})
		if len(studyOnly) > 0 {
			return usagef("%s: applies to compare and sweep results, not to check parts", strings.Join(studyOnly, ", "))
		}
		return mergeCheckParts(stdout, fs.Args(), f.format, f.out)
	}
	metrics, err := f.table()
	if err != nil {
		return err
	}
	m, err := ch.check()
	if err != nil {
		return err
	}
	var parts []*study.Results
	for _, name := range fs.Args() {
		file, err := os.Open(name)
		if err != nil {
			return usageError{err.Error()}
		}
		r, err := study.ReadResults(file, name)
		file.Close()
		if err != nil {
			return usageError{err.Error()}
		}
		parts = append(parts, r)
	}
	res, err := study.Merge(parts, fs.Args())
	if err != nil {
		return usageError{err.Error()}
	}
	if err := ch.write(res, m); err != nil {
		return err
	}
	return emit(stdout, res, &f, false, tableWriter(res, metrics, f.format))
}
