// Package cli is qoslab's command line, `simulate`: one run with its
// sequence diagram, property searches, exhaustive exploration, comparison
// tables, conformance runs against real MQTT software. cmd/simulate is a
// main that calls Main; a module of your own can do the same after
// registering its variants and properties (model.Register,
// properties.Register), and get the whole command line with them:
//
//	package main
//
//	import (
//		_ "example.com/mine/myvariant" // registers itself
//		"github.com/qoslab/qoslab/cli"
//	)
//
//	func main() { cli.Main() }
//
// The commands:
//
//	simulate                      the headline comparison and the list of commands
//	simulate run [flags]          one seeded run: sequence diagram and metrics
//	simulate check [flags]        search random fault schedules for a property violation
//	simulate explore [flags]      exhaustive exploration of a small configuration
//	simulate states [flags]       the state machines the explorer visited
//	simulate serve [flags]        an interactive explorer in the browser
//	simulate scenarios [--check]  the built-in scenarios
//	simulate conform [flags]      real brokers and client libraries through fault schedules, judged by the model
//	simulate compare [flags]      variants x network profiles, many seeded runs: one table
//	simulate sweep [flags]        one parameter over a range: CSV/JSON and charts
//	simulate merge [flags] FILE...  combine the shard results of a compare or sweep
//	simulate docs [--check]       regenerate (or check) the generated parts of docs/
//	simulate variants             the registered protocol variants
//	simulate COMMAND --help       the flags of a command (also: simulate help COMMAND)
//	simulate --version            which build this is
//
// Results go to stdout, diagnostics to stderr. Exit status: 0 on success,
// 1 when a property was violated or a counterexample found, 2 for bad
// usage, 3 when explore stopped at a bound without a verdict, 130 when
// Ctrl-C stopped a command (docs/guide.md has the table per command).
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
)

// Main runs the command line with the process's arguments and exits with
// its status.
func Main() {
	os.Exit(Run(os.Stdout, os.Stderr, os.Args[1:]))
}

// Run runs the command line with args (without the program name), writing
// results to stdout and diagnostics to stderr, and returns the exit status:
// 0 success, 1 a property violated or a counterexample found, 2 bad usage,
// 3 explore stopped at a bound, 130 interrupted (docs/guide.md has the
// table per command).
func Run(stdout, stderr io.Writer, args []string) int {
	return exitCode(run(stdout, stderr, args), stderr)
}

// command is one subcommand; each file registers its own in init.
type command struct {
	name    string
	summary string
	run     func(stdout, stderr io.Writer, args []string) error
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// usageError is bad input: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// violationError reports that a property was found violated: exit status 1.
type violationError struct{ msg string }

func (e violationError) Error() string { return e.msg }

// interruptedError: Ctrl-C stopped the command, which printed what it had
// done; exit status 130 (128 + SIGINT, what a shell reports for a command
// killed by Ctrl-C), never 1, which means "violation".
type interruptedError struct{ msg string }

func (e interruptedError) Error() string { return e.msg }
func (e interruptedError) ExitCode() int { return 130 }

// errHelp is returned after --help was printed: exit status 0.
var errHelp = errors.New("help shown")

func exitCode(err error, stderr io.Writer) int {
	var u usageError
	var v violationError
	var c interface{ ExitCode() int }
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &c): // a command's own status, such as explore's 3 for "stopped at a bound"
		fmt.Fprintln(stderr, "simulate:", err)
		return c.ExitCode()
	case errors.As(err, &u):
		fmt.Fprintln(stderr, "simulate:", err)
		return exitUsage
	case errors.As(err, &v):
		fmt.Fprintln(stderr, "simulate:", err)
		return exitViolation
	}
	fmt.Fprintln(stderr, "simulate:", err)
	return exitViolation
}

// run is the whole program behind main, testable with buffers.
func run(stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		return runDefault(stdout, stderr)
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		if len(args) == 1 {
			writeUsage(stdout)
			return nil
		}
		if len(args) > 2 {
			return usagef("%s: unexpected argument %q (simulate help COMMAND shows a command's flags)", name, args[2])
		}
		name, args = args[1], []string{args[1], "--help"} // simulate help run = simulate run --help
	}
	if name == "--version" || name == "-version" || name == "version" {
		if len(args) > 1 {
			return usagef("%s: unexpected argument %q", name, args[1])
		}
		fmt.Fprintln(stdout, versionLine())
		return nil
	}
	c, ok := commands[name]
	if !ok {
		hint := ""
		if near := nearest(name, commandNames()); near != "" {
			hint = fmt.Sprintf("did you mean %s? ", near)
		}
		return usagef("unknown command %q: %sallowed commands are %s (simulate --help)", name, hint, strings.Join(commandNames(), ", "))
	}
	err := c.run(stdout, stderr, args[1:])
	var h helpRequest
	if errors.As(err, &h) { // asked for: the usage is the result, on stdout
		h.fs.SetOutput(stdout)
		h.fs.Usage()
	}
	return err
}

// versionLine says which build this is: the module version (or "devel"
// for a build from a source tree), the VCS revision and time when the build
// recorded them, and the Go version.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "simulate (qoslab) unknown version"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	line := "simulate (qoslab) " + v
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	if rev != "" {
		line += fmt.Sprintf(" (%.12s %s%s)", rev, at, dirty)
	}
	return line + ", " + bi.GoVersion
}

// nearest returns the name closest to a mistyped one: within two edits
// (a typo or a swap), or the only name it is a prefix of; "" if none is
// close enough to be a good guess.
func nearest(typed string, names []string) string {
	best, bestDist := "", 3
	var prefixed []string
	for _, n := range names {
		if d := editDistance(strings.ToLower(typed), n); d < bestDist {
			best, bestDist = n, d
		}
		if len(typed) >= 2 && strings.HasPrefix(n, strings.ToLower(typed)) {
			prefixed = append(prefixed, n)
		}
	}
	if best == "" && len(prefixed) == 1 {
		return prefixed[0]
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each cost one.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func writeUsage(w io.Writer) {
	fmt.Fprintln(w, "simulate: model, simulate and check message-delivery protocols (MQTT QoS 0/1/2 and alternatives)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: simulate COMMAND [flags]   (simulate COMMAND --help for its flags; simulate --version)")
	fmt.Fprintln(w)
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}
