package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/study"
)

// usageCase is one command line and what it must do: its exit status, a
// phrase of its diagnostics (stderr) and, for usage errors, nothing on stdout.
type usageCase struct {
	args   []string
	code   int
	phrase string
}

// usageCases pin the answer to bad and edge inputs of every command. $DIR
// in an argument is a directory with prepared files (see usageFixtures).
var usageCases = []usageCase{
	// the program
	{[]string{"fly"}, 2, `unknown command "fly": allowed commands are check, compare`},
	{[]string{"--bogus"}, 2, `unknown command "--bogus"`},
	{[]string{"help", "run", "extra"}, 2, `help: unexpected argument "extra"`},
	{[]string{"help", "nope"}, 2, `unknown command "nope"`},
	{[]string{"help", "run"}, 0, ""},
	{[]string{"--help", "sweep"}, 0, ""},
	{[]string{"variants", "extra"}, 2, `variants: unexpected argument "extra"`},
	{[]string{"variants", "--seed", "3"}, 2, "--seed: not a flag of simulate variants"},

	// run: flag syntax
	{[]string{"run", "--bogus"}, 2, "--bogus: not a flag of simulate run (simulate run --help lists them)"},
	{[]string{"run", "--messages"}, 2, "--messages: needs a value"},
	{[]string{"run", "--seed", "-1"}, 2, `--seed "-1": want a whole number from 0 to 18446744073709551615`},
	{[]string{"run", "--seed", "abc"}, 2, `--seed "abc": want a whole number`},
	{[]string{"run", "--seed", "18446744073709551616"}, 2, `--seed "18446744073709551616": want a whole number from 0 to 18446744073709551615 (value out of range)`},
	{[]string{"run", "--messages", "ten"}, 2, `--messages "ten": want a whole number`},
	{[]string{"run", "--loss", "lots"}, 2, `--loss "lots": want a number`},
	{[]string{"run", "--volatile=maybe"}, 2, `--volatile "maybe": want true or false`},
	{[]string{"run", "--volatile", "false"}, 2, `unexpected argument "false": a boolean flag takes its value with =, as in --volatile=false`},
	{[]string{"run", "extra"}, 2, `run: unexpected argument "extra" (flags start with --)`},
	// run: values
	{[]string{"run", "--variant", ""}, 2, "--variant: empty value"},
	// The list is the registry's, whatever variants this build registers.
	{[]string{"run", "--variant", "qos7"}, 2, `--variant: unknown variant "qos7": allowed values are ` + strings.Join(model.Names(), ", ")},
	{[]string{"run", "--sub-variant", "nope", "--topology", "broker"}, 2, `--sub-variant: unknown variant "nope"`},
	{[]string{"run", "--mode", ""}, 2, "--mode: empty value"},
	{[]string{"run", "--mode", "Stream"}, 2, `--mode: mode "Stream": allowed values are stream, datagram`},
	{[]string{"run", "--topology", "mesh"}, 2, `--topology: topology "mesh": allowed values are direct, broker`},
	{[]string{"run", "--mqtt", "4"}, 2, `--mqtt: version "4": allowed values are 5.0, 3.1.1`},
	{[]string{"run", "--id-policy", "random"}, 2, `--id-policy: id policy "random": allowed values are lowest-free, sequential`},
	{[]string{"run", "--messages", "0"}, 2, "--messages 0: allowed 1..10000000"},
	{[]string{"run", "--messages", "-5"}, 2, "--messages -5: allowed 1..10000000"},
	{[]string{"run", "--messages", "99999999999"}, 2, "--messages 99999999999: allowed 1..10000000"},
	{[]string{"run", "--ids", "0"}, 2, "--ids 0: allowed 1..65535"},
	{[]string{"run", "--ids", "65536"}, 2, "--ids 65536: allowed 1..65535"},
	{[]string{"run", "--receive-max", "0"}, 2, "--receive-max 0: allowed 1..65535"},
	{[]string{"run", "--payload-bytes", "0"}, 2, "--payload-bytes 0: allowed 1..1048576"},
	{[]string{"run", "--topics", "0"}, 2, "--topics 0: allowed 1..1048576"},
	{[]string{"run", "--retry-limit", "0"}, 2, "--retry-limit 0: allowed 1..1000"},
	{[]string{"run", "--store-cap", "-1"}, 2, "--store-cap -1: allowed 0..1073741824"},
	{[]string{"run", "--interval", "0"}, 2, "--interval 0: allowed 1..1000000000 ticks"},
	{[]string{"run", "--retry", "0"}, 2, "--retry 0: allowed 1..1000000000 ticks"},
	{[]string{"run", "--latency", "0"}, 2, "--latency 0: allowed 1..1000000000 ticks"},
	{[]string{"run", "--latency", "9223372036854775807"}, 2, "--latency 9223372036854775807: allowed 1..1000000000 ticks"},
	{[]string{"run", "--jitter", "9223372036854775807"}, 2, "--jitter 9223372036854775807: allowed 0..1000000000 ticks"},
	{[]string{"run", "--start", "9223372036854775807"}, 2, "--start 9223372036854775807: allowed 0..1000000000 ticks"},
	{[]string{"run", "--heal", "-1"}, 2, "--heal -1: allowed 0..1000000000 ticks"},
	{[]string{"run", "--ttl", "-1"}, 2, "--ttl -1: allowed 0..1000000000 ticks"},
	{[]string{"run", "--reconnect", "0"}, 2, "--reconnect 0: allowed 1..1000000000 ticks"},
	{[]string{"run", "--mode", "datagram", "--loss", "1.5"}, 2, "--loss 1.5: a probability, allowed 0..1"},
	{[]string{"run", "--mode", "datagram", "--loss", "NaN"}, 2, "--loss NaN: a probability, allowed 0..1"},
	{[]string{"run", "--mode", "datagram", "--dup", "-Inf"}, 2, "--dup -Inf: a probability, allowed 0..1"},
	{[]string{"run", "--loss", "0.5"}, 2, "loss/dup: per-packet faults need mode datagram"},
	{[]string{"run", "--mode", "datagram", "--break-mean", "5"}, 2, "break mean: connection breaks need mode stream"},
	{[]string{"run", "--faults", "lose PUBREC"}, 2, `--faults: fault 1 "lose PUBREC"`},
	{[]string{"run", "--faults", "lose PUBREC#0"}, 2, `occurrence "0" in "PUBREC#0": want a whole number >= 1`},
	{[]string{"run", "--faults", "lose PUBREC#99999999999999999999"}, 2, `occurrence "99999999999999999999"`},
	{[]string{"run", "--faults", "delay PUBREL#1 +-5"}, 2, `duration "+-5": want +TICKS`},
	{[]string{"run", "--faults", "break at -5"}, 2, `time "-5": want a whole number of ticks 0..1000000000`},
	{[]string{"run", "--faults", "delay PUBREC#1 +9223372036854775807"}, 2, `duration "+9223372036854775807": want +TICKS with TICKS a whole number 1..1000000000`},
	{[]string{"run", "--faults", "break at 9223372036854775807"}, 2, `time "9223372036854775807": want a whole number of ticks 0..1000000000`},
	{[]string{"run", "--faults", "crash server at 35 restart +1000000001"}, 2, `duration "+1000000001"`},
	{[]string{"run", "--faults", "crash nobody at 40"}, 2, `node "nobody": allowed values are`},
	{[]string{"run", "--faults", "lose PUBREC#1"}, 2, "per-packet faults need mode datagram"},
	{[]string{"run", "--format", "csv"}, 2, `--format "csv": allowed values are text, mermaid, json`},
	{[]string{"run", "--messages", "10001", "--format", "mermaid"}, 2, "--format mermaid: draws runs of at most 10000 messages, not --messages 10001"},
	{[]string{"run", "--format", ""}, 2, `--format "": allowed values are text, mermaid, json`},
	{[]string{"run", "--sub-variant", "qos1"}, 2, "--sub-variant qos1: a subscription needs a topology with a broker (broker, pair, self)"},
	{[]string{"run", "--sub-variant", "qos1", "--topology", "duplex"}, 2, "--sub-variant qos1: a subscription needs a topology with a broker (broker, pair, self)"},
	{[]string{"run", "--clean-start", "--mode", "datagram"}, 2, "--clean-start: datagram mode has no CONNECT to ask for a clean start; use --mode stream"},
	{[]string{"run", "--choices", "sometimes"}, 2, `--choices: choice "sometimes": allowed values are all, none or a list of pubcomp-reason, repeat-pubrec, resend-order, method, keep-session (the packet id is opened by --id-policy any)`},
	{[]string{"run", "--topology", "ring"}, 2, `--topology: topology "ring": allowed values are direct, broker, duplex, pair, self`},
	{[]string{"run", "--mqtt", "3.1.1", "--session-expiry", "100"}, 2, "--session-expiry 100: the Session Expiry Interval is MQTT 5.0's; --mqtt 3.1.1 has none"},
	{[]string{"run", "--messages", "2", "--faults", ";;"}, 0, ""}, // an empty schedule is no faults
	// run: scenarios
	{[]string{"run", "--scenario", "nope"}, 2, `unknown scenario "nope": allowed values are break-point-1`},
	{[]string{"run", "--scenario", "break-point-1", "--scenario-file", "x.yaml"}, 2, "--scenario and --scenario-file: give one of them"},
	{[]string{"run", "--scenario", "break-point-1", "--loss", "0.1"}, 2, "--loss: a scenario fixes the setup"},
	{[]string{"run", "--scenario", "break-point-1", "--format", "csv"}, 2, `--format "csv": allowed values are text, mermaid, json`},
	{[]string{"run", "--scenario", "break-point-1", "--format", "mermaid"}, 2, "--format mermaid: needs one variant (--variant)"},
	{[]string{"run", "--scenario", "break-point-1", "--variant", "nope"}, 2, `--variant: unknown variant "nope"`},
	{[]string{"run", "--scenario-file", "$DIR/missing.yaml"}, 2, "missing.yaml: no such file or directory"},
	{[]string{"run", "--scenario-file", "$DIR"}, 2, "is a directory"},
	{[]string{"run", "--scenario-file", "$DIR/garbage.yaml"}, 2, "garbage.yaml: not valid YAML or JSON"},
	{[]string{"run", "--scenario-file", "$DIR/binary.json"}, 2, "binary.json: not valid YAML or JSON"},
	{[]string{"run", "--scenario-file", "$DIR/empty.yaml"}, 2, "empty.yaml: empty file"},
	{[]string{"run", "--scenario-file", "$DIR/object.json"}, 2, `object.json:1: field "name": missing`},

	// check
	{[]string{"check", "--tests", "0"}, 2, "--tests 0: allowed 1..100000000"},
	{[]string{"check", "--tests", "99999999999"}, 2, "--tests 99999999999: allowed 1..100000000"},
	{[]string{"check", "--tests", "5", "--jitter", "9223372036854775807"}, 2, "--jitter 9223372036854775807: allowed 0..1000000000 ticks"},
	{[]string{"check", "--tests", "5", "--max-outage", "9223372036854775807"}, 2, "--max-outage 9223372036854775807: allowed 0..1000000000 ticks"},
	{[]string{"check", "--tests", "5", "--max-delay", "9223372036854775807"}, 2, "--max-delay 9223372036854775807: allowed 0..1000000000 ticks"},
	{[]string{"check", "--tests", "200", "--actions", "delay", "--max-delay", "20000000"}, 0, ""}, // delays past the old horizon are not losses
	{[]string{"check", "--tests", "5", "--format", "csv"}, 2, `--format "csv": allowed values are text, mermaid, json`},
	{[]string{"check", "--tests", "5", "--workers", "-1"}, 2, "--workers -1: must not be negative (0: one per core)"},
	{[]string{"check", "--tests", "5", "--messages", "3"}, 2, "--messages: check draws the number of messages per case; use --max-messages"},
	{[]string{"check", "--tests", "20", "--format", "json"}, 0, ""},
	{[]string{"check", "--tests", "5", "--actions", "lose"}, 2, "--actions: lose needs --mode datagram"},
	{[]string{"check", "--tests", "5", "--actions", "lose,,dup", "--mode", "datagram"}, 2, `--actions: "": allowed values are lose, dup, delay, break, crash`},
	{[]string{"check", "--tests", "5", "--nodes", "broker"}, 2, `--nodes: node "broker": allowed values are client, server`},
	{[]string{"check", "--tests", "5", "--property", ""}, 2, `--property: unknown property "": allowed values are`},
	{[]string{"check", "--tests", "5", "--variant", ""}, 2, "--variant: empty value"},
	{[]string{"check", "--tests", "5", "--faults", "lose PUBREC#1"}, 2, "--faults: check draws its own schedules"},
	{[]string{"check", "--tests", "20", "--variant", "qos2-b"}, 0, ""},
	{[]string{"check", "--tests", "200", "--variant", "qos1"}, 1, "exactly-once violated: no-duplicate"},

	// explore and states
	{[]string{"explore", "--messages", "0"}, 2, "--messages 0: allowed 1..16"},
	{[]string{"explore", "--messages", "99"}, 2, "--messages 99: allowed 1..16"},
	{[]string{"explore", "--ids", "0"}, 2, "--ids 0: allowed 1..65535"},
	{[]string{"explore", "--variant", ""}, 2, "--variant: empty value"},
	{[]string{"explore", "--variant", "nope"}, 2, `--variant: unknown variant "nope"`},
	{[]string{"explore", "--mode", ""}, 2, "--mode: empty value"},
	{[]string{"explore", "--search", "dfs"}, 2, `--search: search "dfs": allowed values are bfs, walk`},
	{[]string{"explore", "--max-states", "0"}, 2, "--max-states 0: allowed 1..2147483648"},
	{[]string{"explore", "--max-mem", "0"}, 2, `--max-mem "0": allowed 1MiB..1PiB`},
	{[]string{"explore", "--max-mem", "17592186044416"}, 2, `--max-mem "17592186044416": allowed 1MiB..1PiB`},
	{[]string{"explore", "--search", "walk", "--seed", "-1"}, 2, `--seed "-1": want a whole number from 0`},
	{[]string{"explore", "--loss", "0.1"}, 2, "--loss: not a flag of simulate explore"},
	{[]string{"explore", "--faults", "x"}, 2, "--faults: not a flag of simulate explore"},
	{[]string{"explore", "--losses", "1"}, 2, "per-packet network behaviours need mode datagram"},
	{[]string{"explore", "--format", "csv"}, 2, `--format "csv": allowed values are text, mermaid, json`},
	{[]string{"explore", "--networks"}, 2, "--networks: needs --mode datagram"},
	{[]string{"explore", "--max-states", "5", "--quiet"}, 3, "nothing proven: stopped at 5 states"},
	{[]string{"explore", "--search", "walk", "--max-states", "10"}, 2, "--max-states: applies to --search bfs, not walk"},
	{[]string{"explore", "--walks", "10"}, 2, "--walks: applies to --search walk, not bfs"},
	{[]string{"explore", "--seed", "3"}, 2, "--seed: applies to --search walk, not bfs"},
	{[]string{"states", "--walk-depth", "10"}, 2, "--walk-depth: applies to --search walk, not bfs"},
	{[]string{"explore", "--search", "walk", "--walks", "3", "--walk-depth", "5", "--seed", "2", "--quiet"}, 3, "nothing proven: random walks check safety only"},
	{[]string{"explore", "extra"}, 2, `explore: unexpected argument "extra"`},
	{[]string{"states", "--format", "text"}, 2, `--format "text": allowed values are mermaid, dot, both`},
	{[]string{"states", "--search", "walk"}, 2, "--search walk: states needs bfs"},
	{[]string{"states", "--quiet"}, 2, "--quiet: not a flag of simulate states"},

	// compare
	{[]string{"compare", "--runs", "0"}, 2, "--runs 0: allowed 1..100000000"},
	{[]string{"compare", "--runs", "1000000000"}, 2, "--runs 1000000000: allowed 1..100000000"},
	{[]string{"compare", "--runs", "1", "--workers", "-1"}, 2, "--workers -1: must not be negative"},
	{[]string{"compare", "--runs", "1", "--shard", "3/2"}, 2, `--shard: shard "3/2": need 0 <= i < n`},
	{[]string{"compare", "--runs", "1", "--shard", "0/0"}, 2, `--shard: shard "0/0": need 0 <= i < n`},
	{[]string{"compare", "--runs", "1", "--shard", "half"}, 2, `--shard: shard "half": want i/n`},
	{[]string{"compare", "--runs", "1", "--format", "mermaid"}, 2, `--format "mermaid": allowed values are text, markdown, csv, json`},
	{[]string{"compare", "--runs", "1", "--columns", "nope"}, 2, `--columns: unknown metric "nope"`},
	{[]string{"compare", "--runs", "1", "--columns", "lost_per_1k,lost_per_1k"}, 2, `--columns: metric "lost_per_1k" named twice`},
	{[]string{"compare", "--runs", "1", "--profiles", "clean,"}, 2, `--profiles: unknown profile "": allowed values are clean, lossy`},
	{[]string{"compare", "--runs", "1", "--profiles", "clean,clean"}, 2, `--profiles: "clean" named twice`},
	{[]string{"compare", "--runs", "1", "--variants", "nope"}, 2, `--variants: unknown variant "nope"`},
	{[]string{"compare", "--runs", "1", "--variants", ""}, 2, "--variants: empty value"},
	{[]string{"compare", "--runs", "1", "--variants", "qos1,qos1"}, 2, `--variants: "qos1" named twice`},
	{[]string{"compare", "--runs", "1", "--variant", "nope"}, 2, `--variant: unknown variant "nope"`},
	{[]string{"compare", "--runs", "1", "--variant", "qos1", "--variants", "qos2-a"}, 2, "--variant qos1 and --variants qos2-a: give one of them"},
	{[]string{"compare", "--runs", "1", "--mode", "datagram"}, 2, "--mode: compare takes the network from --profiles"},
	{[]string{"compare", "--runs", "1", "--jitter", "5"}, 2, "--jitter: compare takes the network from --profiles"},
	{[]string{"compare", "--runs", "1", "--break-mean", "100"}, 2, "--break-mean: compare takes the network from --profiles"},
	{[]string{"compare", "--runs", "1", "--out", "$DIR/no/such/dir/x.txt"}, 2, "--out $DIR/no/such/dir/x.txt: directory $DIR/no/such/dir does not exist"},
	{[]string{"compare", "--runs", "1", "--save", "$DIR"}, 2, "--save $DIR: is a directory"},
	{[]string{"compare", "--runs", "1", "--metric", "lost_per_1k"}, 2, "--metric: not a flag of simulate compare"},
	{[]string{"compare", "--runs", "1", "--messages", "0"}, 2, "--messages 0: allowed 1..10000000"},
	{[]string{"compare", "extra"}, 2, `compare: unexpected argument "extra"`},
	{[]string{"compare", "--runs", "1", "--variants", "qos1", "--profiles", "clean", "--messages", "3"}, 0, ""},

	// sweep
	{[]string{"sweep", "--runs", "1", "--param", "nope"}, 2, `--param: unknown parameter "nope": allowed values are loss, dup`},
	{[]string{"sweep", "--runs", "1", "--values", ""}, 2, `--values "": "" is not a number`},
	{[]string{"sweep", "--runs", "1", "--values", "0:1:0"}, 2, "want from <= to, step > 0 and at most 1,000 steps"},
	{[]string{"sweep", "--runs", "1", "--values", "1:0:0.1"}, 2, "want from <= to, step > 0"},
	{[]string{"sweep", "--runs", "1", "--values", "0:NaN:0.1"}, 2, "want from <= to, step > 0"},
	{[]string{"sweep", "--runs", "1", "--values", "NaN"}, 2, "--values: loss NaN out of range: allowed numbers 0..1"},
	{[]string{"sweep", "--runs", "1", "--values", "1.5"}, 2, "--values: loss 1.5 out of range: allowed numbers 0..1"},
	{[]string{"sweep", "--runs", "1", "--param", "messages", "--values", "0"}, 2, "--values: messages 0 out of range: allowed integers 1..10000000"},
	{[]string{"sweep", "--runs", "1", "--param", "ids", "--values", "2.5"}, 2, "--values: ids 2.5 out of range: allowed integers 1..65535"},
	{[]string{"sweep", "--runs", "1", "--param", "loss", "--mode", "stream"}, 2, "--param loss needs --mode datagram, not stream"},
	{[]string{"sweep", "--runs", "1", "--mode", "datagram", "--loss", "0.2"}, 2, "--loss: --param loss sets it from --values"},
	{[]string{"sweep", "--runs", "1", "--param", "break-rate", "--break-mean", "100"}, 2, "--break-mean: --param break-rate sets it"},
	{[]string{"sweep", "--runs", "1", "--metric", ""}, 2, "--metric: empty: name at least one column key"},
	{[]string{"sweep", "--runs", "1", "--metric", "nope"}, 2, `--metric: unknown metric "nope"`},
	{[]string{"sweep", "--runs", "1", "--format", "mermaid"}, 2, `--format "mermaid": allowed values are text, markdown, csv, json`},
	{[]string{"sweep", "--runs", "1", "--shard", "0/2", "--png", "$DIR/x.png"}, 2, "--png/--svg with --shard 0/2"},
	{[]string{"sweep", "--runs", "1", "--svg", "$DIR/none/x.svg"}, 2, "--svg $DIR/none/x.svg: directory $DIR/none does not exist"},
	{[]string{"sweep", "--runs", "1", "--png", "$DIR/x.txt"}, 2, "--png $DIR/x.txt: the file name must end in .png, the format written"},
	{[]string{"sweep", "--runs", "1", "--svg", "$DIR/x.png"}, 2, "--svg $DIR/x.png: the file name must end in .svg"},
	{[]string{"sweep", "--runs", "1", "--log-x"}, 2, "--log-x: shapes a chart; give --png or --svg too"},
	{[]string{"sweep", "--runs", "1", "--log-x", "--svg", "$DIR/x.svg", "--values", "0,0.1"}, 2, "--log-x: loss 0 cannot be drawn on a logarithmic axis"},
	{[]string{"sweep", "--runs", "1", "--profiles", "clean"}, 2, "--profiles: not a flag of simulate sweep"},
	{[]string{"sweep", "--runs", "1", "--variants", "qos1", "--values", "0,0.1", "--messages", "3"}, 0, ""},

	// merge
	{[]string{"merge"}, 2, "merge: no result files given"},
	{[]string{"merge", "$DIR/c0.json"}, 2, "shard 1/2 missing"},
	{[]string{"merge", "$DIR/c0.json", "$DIR/c0.json"}, 2, "shard 0/2 already given by"},
	{[]string{"merge", "$DIR/c0.json", "$DIR/s1.json"}, 2, "a different study from"},
	{[]string{"merge", "$DIR/c0.json", "$DIR/missing.json"}, 2, "missing.json: no such file or directory"},
	{[]string{"merge", "$DIR/garbage.yaml"}, 2, "garbage.yaml: not a result file"},
	{[]string{"merge", "$DIR/empty.yaml"}, 2, "empty.yaml: not a result file"},
	{[]string{"merge", "$DIR/object.json"}, 2, `object.json: format "", want "qoslab-study-2"`},
	{[]string{"merge", "$DIR"}, 2, "is a directory"},
	{[]string{"merge", "$DIR/c0.json", "$DIR/c1.json", "--format", "json"}, 2, `merge: "--format" after the files: flags go before them`},
	{[]string{"merge", "--format", "mermaid", "$DIR/c0.json", "$DIR/c1.json"}, 2, `--format "mermaid": allowed values are text, markdown, csv, json`},
	{[]string{"merge", "--runs", "3", "$DIR/c0.json"}, 2, "--runs: not a flag of simulate merge"},
	{[]string{"merge", "--png", "$DIR/x.png", "$DIR/c0.json", "$DIR/c1.json"}, 2, "--png: charts are drawn from sweep results, these are compare results"},
	{[]string{"merge", "--out", "$DIR/none/x", "$DIR/c0.json", "$DIR/c1.json"}, 2, "--out $DIR/none/x: directory $DIR/none does not exist"},
	{[]string{"merge", "$DIR/c0.json", "$DIR/c1.json"}, 0, ""},

	// docs and scenarios
	{[]string{"docs", "extra"}, 2, `docs: unexpected argument "extra"`},
	{[]string{"docs", "--check=maybe"}, 2, `--check "maybe": want true or false`},
	{[]string{"scenarios", "extra"}, 2, `scenarios: unexpected argument "extra"`},
	{[]string{"scenarios", "--format", "json"}, 2, "--format: not a flag of simulate scenarios"},
}

// usageFixtures writes the files the cases name under $DIR: garbage,
// empty and binary files, and the two shards of a small compare and one
// shard of a sweep for merge.
func usageFixtures(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"garbage.yaml": "garbage: [\n", "binary.json": "\x00\x01\x02", "empty.yaml": "", "object.json": "{}\n"}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shards := map[string][]string{
		"c0.json": {"compare", "--runs", "2", "--messages", "3", "--variants", "qos1", "--profiles", "clean", "--shard", "0/2"},
		"c1.json": {"compare", "--runs", "2", "--messages", "3", "--variants", "qos1", "--profiles", "clean", "--shard", "1/2"},
		"s1.json": {"sweep", "--runs", "2", "--messages", "3", "--variants", "qos1", "--values", "0", "--shard", "1/2"},
	}
	for name, args := range shards {
		out, errOut, code := runArgs(t, args...)
		if code != 0 {
			t.Fatalf("simulate %v: exit %d: %s", args, code, errOut)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestUsage(t *testing.T) {
	dir := usageFixtures(t)
	expand := func(s string) string { return strings.ReplaceAll(s, "$DIR", dir) }
	for _, c := range usageCases {
		args := make([]string, len(c.args))
		for i, a := range c.args {
			args[i] = expand(a)
		}
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, errOut, code := runArgs(t, args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.code, errOut)
			}
			if !strings.Contains(errOut, expand(c.phrase)) {
				t.Errorf("stderr lacks %q:\n%s", expand(c.phrase), errOut)
			}
			switch c.code {
			case 2: // one line on stderr, nothing on stdout
				if out != "" {
					t.Errorf("usage error wrote to stdout:\n%s", out)
				}
				if strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "simulate: ") {
					t.Errorf("want one line \"simulate: ...\" on stderr, got:\n%s", errOut)
				}
			case 0:
				if out == "" {
					t.Errorf("success printed nothing on stdout")
				}
				if errOut != "" {
					t.Errorf("success wrote to stderr:\n%s", errOut)
				}
			}
		})
	}
}

// A delay longer than the old fixed horizon (heal + 10,000,000 ticks) is
// waited for, not cut off and counted as a loss; one that would overflow
// the clock is refused (it used to wrap around and arrive at once).
func TestLongDelaysAreWaitedFor(t *testing.T) {
	out, errOut, code := runArgs(t, "run", "--messages", "1", "--faults", "delay PUBREC#1 +20000000")
	if code != 0 || !strings.Contains(out, "settled at t=20000060") || !strings.Contains(out, "1 exactly once") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
}

// A long run prints its metrics without a diagram: its trace is not kept
// (10,000,000 messages used to take tens of GB).
func TestLongRunHasNoDiagram(t *testing.T) {
	out, errOut, code := runArgs(t, "run", "--messages", "10001", "--interval", "1")
	if code != 0 || !strings.Contains(out, "(no diagram: it is drawn for runs of at most 10000 messages)") ||
		!strings.Contains(out, "10001 exactly once") || strings.Contains(out, "PUBLISH id=") {
		t.Fatalf("exit %d: %s\n%.600s", code, errOut, out)
	}
}

// Help asked for is the result: it goes to stdout, with exit status 0, for
// the program and for every command, however it is asked.
func TestHelpGoesToStdout(t *testing.T) {
	for _, name := range commandNames() {
		for _, args := range [][]string{{name, "--help"}, {name, "-h"}, {"help", name}} {
			out, errOut, code := runArgs(t, args...)
			if code != 0 || errOut != "" || !strings.HasPrefix(out, "usage: simulate "+name) {
				t.Errorf("simulate %v: exit %d, stderr %q, stdout starts %q; want exit 0 and usage on stdout",
					args, code, errOut, out[:min(len(out), 40)])
			}
		}
	}
}

// Every parameter a sweep can vary maps to the run flag it sets, so that
// giving both is refused.
func TestEverySweepParamNamesItsFlag(t *testing.T) {
	fs := newFlagSet("sweep", "")
	addRunFlags(fs)
	for _, p := range study.Params {
		fl, ok := paramFlags[p.Name]
		if !ok || fs.Lookup(fl) == nil {
			t.Errorf("sweep --param %s: paramFlags names %q, not a run flag", p.Name, fl)
		}
	}
}

// cheapArgs reports whether a fuzzed argument vector is cheap to run and
// writes no files: a small bound on every count, no output files, and no
// command that runs a study without a small --runs (or a search without a
// small --tests / --max-states).
func cheapArgs(args []string) bool {
	if len(args) == 0 || args[0] == "docs" {
		return false // the default prints the headline study; docs writes files
	}
	has := map[string]bool{}
	for _, a := range args {
		if strings.Contains(a, ":") && args[0] == "sweep" {
			return false // a range of values may have 1,000 points
		}
		if n, err := strconv.ParseInt(strings.TrimLeft(a, "+"), 0, 64); err == nil && (n > 50 || n < -50) {
			return false
		}
		if strings.HasPrefix(a, "-") {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			switch name {
			case "out", "save", "png", "svg", "dir":
				return false
			}
			has[name] = true
		}
	}
	switch args[0] {
	case "compare", "sweep":
		return has["runs"]
	case "check":
		return has["tests"]
	case "explore", "states":
		return has["max-states"] && !has["search"] && !has["walks"]
	}
	return true
}

// FuzzRun runs the whole program on argument vectors: whatever the input,
// it does not panic and exits 0, 1, 2 or 3.
func FuzzRun(f *testing.F) {
	seeds := []string{
		"run --messages 3",
		"run --mode datagram --loss 0.3 --messages 5 --seed 7",
		"run --faults lose PUBREC#1 --mode datagram",
		"run --faults break after-send PUBREC#1 --variant two-packet-pid",
		"run --scenario break-point-1",
		"run --variant qos7",
		"run --messages -1",
		"run --jitter 40 --mode datagram --messages 4",
		"variants",
		"check --tests 10 --max-messages 2",
		"explore --max-states 40 --messages 2 --quiet",
		"explore --max-states 40 --mode datagram --losses 1 --format json --quiet",
		"states --max-states 30",
		"compare --runs 1 --messages 2 --variants qos1 --profiles clean --format csv",
		"sweep --runs 1 --messages 2 --variants qos2-a --values 0,0.5 --format json",
		"scenarios",
		"merge nothing.json",
		"help run",
	}
	for _, s := range seeds {
		f.Add(strings.Join(strings.Fields(s), "\x00"))
	}
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		if !cheapArgs(args) {
			t.Skip()
		}
		var out, errb bytes.Buffer
		code := exitCode(run(&out, &errb, args), &errb)
		if code < 0 || code > 3 {
			t.Fatalf("simulate %q: exit %d", args, code)
		}
	})
}
