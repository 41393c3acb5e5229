package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/qoslab/qoslab/conformance"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/report"
	"github.com/qoslab/qoslab/sim"
)

func init() {
	register(command{name: "conform", summary: "drive real MQTT brokers and client libraries through fault schedules, with the model as the oracle", run: conformCmd})
}

const conformSummary = `Drives a real broker, and real client libraries through it, over loopback TCP
through an in-process proxy that reads MQTT framing and applies the
simulator's fault schedules at exact packet boundaries ("break after-send
PUBREC#1"). The proxy releases one frame at a time once the system is quiet,
so a schedule gives the same transcript on every run. The model is the
oracle: every packet the implementations send is matched against what the
model may send at that point, deliveries are counted at the subscriber, and
what the publisher's API reports is recorded.

Prints a matrix (implementation x case x version -> verdict), then for each
run with divergences: each divergence with its class and the statement
involved, the real transcript beside the model's, and the command that
replays it. --format html writes one self-contained page instead: the real
transcript beside the model's, aligned step by step, with every divergence
highlighted on its row (for a matrix, the table of verdicts whose cells open
their runs).

Brokers: mochi (embedded, the default: nothing to install), mosquitto (the
Debian package, started on a free loopback port), tcp://HOST:PORT (any broker
already running on loopback), and two brokers faulty on purpose
(mochi+forget-inbound-id, mochi+publish-after-pubrel). Clients: model
(qoslab's own client, driving the broker as the model does), paho.golang
(autopaho, MQTT 5.0) and paho.mqtt.golang (MQTT 3.1.1).

Exit status: 0 when every run conforms (permitted differences allowed), 1
when a run diverged, 2 for bad usage or when the broker cannot be started
or reached.`

func conformCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("conform", conformSummary)
	broker := fs.String("broker", "mochi", "broker under test: "+strings.Join(brokerNames(), ", ")+", or tcp://HOST:PORT on loopback")
	clients := fs.String("client", "model,paho.golang,paho.mqtt.golang", "client implementations, comma separated: "+strings.Join(clientNames(), ", "))
	versions := fs.String("mqtt", "5.0,3.1.1", "MQTT versions, comma separated: 5.0, 3.1.1 (a client runs in the versions it speaks)")
	cases := fs.String("cases", "coverage", "the cases to run: "+strings.Join(conformance.CaseSets, ", "))
	faults := fs.String("faults", "", `run one schedule instead of a case set, e.g. "break after-send PUBREC#1"`)
	messages := fs.Int("messages", 1, "messages published (with --faults)")
	topology := fs.String("topology", "broker", "with --faults: broker (publisher -> broker -> subscriber), pair (alice and carol publish to each other) or self (a client subscribed to its own topic)")
	clean := fs.Bool("clean-start", false, "with --faults: every client asks for a new session at each connect")
	search := fs.Int("search", 0, "run N schedules drawn by the property generators instead of a case set")
	seed := fs.Uint64("seed", 1, "seed of --search")
	maxMessages := fs.Int("max-messages", 3, "largest workload --search draws")
	format := fs.String("format", "text", "output: text, markdown, json, html (one self-contained page to step through)")
	settle := fs.Duration("settle", 0, "how long the system must be silent to count as quiet (0: 5ms; 30ms for mosquitto or a broker by address)")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	set := visited(fs)
	switch *format {
	case "text", "markdown", "json", "html":
	default:
		return usagef("--format %q: allowed values are text, markdown, json, html", *format)
	}
	b, err := conformance.LookupBroker(*broker)
	if err != nil {
		return usagef("--broker: %v", err)
	}
	impls, err := parseClients(*clients)
	if err != nil {
		return err
	}
	vs, err := parseVersions(*versions)
	if err != nil {
		return err
	}
	cs, err := conformCases(set, *cases, *faults, *messages, *topology, *clean, *search, *seed, *maxMessages)
	if err != nil {
		return err
	}
	if *settle < 0 || *settle > time.Second {
		return usagef("--settle %v: allowed 0..1s", *settle)
	}
	if err := checkTarget(b); err != nil {
		return err
	}
	cols := conformance.Columns(b, impls, vs)
	if len(cols) == 0 {
		return usagef("--client %s --mqtt %s: no client speaks those versions", *clients, *versions)
	}
	m, err := conformance.RunMatrix(cols, cs, conformance.Options{Settle: *settle}, nil)
	if err != nil {
		if errors.Is(err, conformance.ErrNoMosquitto) || errors.Is(err, conformance.ErrUnreachable) {
			return usageError{err.Error()}
		}
		return err
	}
	switch *format {
	case "markdown":
		err = m.WriteMarkdown(stdout)
	case "json":
		err = m.WriteJSON(stdout)
	case "html":
		err = report.WriteMatrix(stdout, report.FromMatrix(m))
	default:
		err = m.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if m.Failed() {
		if *format == "html" {
			return violationError{"a real implementation diverged from the model (see the page written)"}
		}
		return violationError{"a real implementation diverged from the model (see the reports above)"}
	}
	return nil
}

// checkTarget refuses a broker that cannot serve: mosquitto not installed,
// an address nobody listens on. Both are "no target": exit 2, in seconds.
func checkTarget(b conformance.BrokerImpl) error {
	if b.Name == conformance.Mosquitto.Name && !conformance.MosquittoInstalled() {
		return usageError{"--broker mosquitto: " + conformance.ErrNoMosquitto.Error()}
	}
	if addr, ok := strings.CutPrefix(b.Name, "tcp://"); ok {
		if err := conformance.Reachable(addr); err != nil {
			return usagef("--broker %s: %v", b.Name, err)
		}
	}
	return nil
}

func conformCases(set map[string]bool, cases, faults string, messages int, topology string, clean bool, search int, seed uint64, maxMessages int) ([]conformance.Case, error) {
	if set["faults"] && set["search"] {
		return nil, usagef("--faults and --search: give one (a schedule to replay, or a search)")
	}
	if set["cases"] && (set["faults"] || set["search"]) {
		return nil, usagef("--cases: not with --faults or --search, which choose the cases themselves")
	}
	if !set["faults"] && (set["messages"] || set["topology"] || set["clean-start"]) {
		return nil, usagef("--messages, --topology and --clean-start set up one schedule: give it with --faults (\"\" for no faults)")
	}
	if !set["search"] && (set["seed"] || set["max-messages"]) {
		return nil, usagef("--seed and --max-messages belong to --search")
	}
	switch {
	case set["faults"]:
		s, err := sim.ParseSchedule(faults)
		if err != nil {
			return nil, usagef("--faults: %v", err)
		}
		top, err := conformance.ParseTopology(topology)
		if err != nil {
			return nil, usagef("--topology: %v", err)
		}
		if messages < 1 || messages > 1000 {
			return nil, usagef("--messages %d: allowed 1..1000", messages)
		}
		c := conformance.Case{Faults: s, Messages: messages, Topology: top, Clean: clean}
		if err := conformance.ValidateCase(c); err != nil {
			return nil, usagef("--faults: %v", err)
		}
		return []conformance.Case{c}, nil
	case set["search"]:
		if search < 1 || search > 100_000 {
			return nil, usagef("--search %d: allowed 1..100000", search)
		}
		if maxMessages < 1 || maxMessages > 100 {
			return nil, usagef("--max-messages %d: allowed 1..100", maxMessages)
		}
		return conformance.Search(search, seed, maxMessages), nil
	}
	cs, err := conformance.Cases(cases)
	if err != nil {
		return nil, usagef("--cases: %v", err)
	}
	return cs, nil
}

func parseClients(s string) ([]conformance.ClientImpl, error) {
	if s == "" {
		return nil, usagef("--client: empty; allowed values are %s", strings.Join(clientNames(), ", "))
	}
	var cs []conformance.ClientImpl
	for _, name := range strings.Split(s, ",") {
		c, err := conformance.LookupClient(strings.TrimSpace(name))
		if err != nil {
			return nil, usagef("--client: %v", err)
		}
		cs = append(cs, c)
	}
	return cs, nil
}

func parseVersions(s string) ([]model.Version, error) {
	if s == "" {
		return nil, usagef("--mqtt: empty; allowed values are 5.0, 3.1.1")
	}
	var vs []model.Version
	for _, name := range strings.Split(s, ",") {
		v, err := model.ParseVersion(strings.TrimSpace(name))
		if err != nil || strings.TrimSpace(name) == "" {
			return nil, usagef("--mqtt %q: allowed values are 5.0, 3.1.1", name)
		}
		vs = append(vs, v)
	}
	return vs, nil
}

func brokerNames() []string {
	var ns []string
	for _, b := range conformance.Brokers() {
		ns = append(ns, b.Name)
	}
	return ns
}

func clientNames() []string {
	var ns []string
	for _, c := range conformance.Clients() {
		ns = append(ns, c.Name)
	}
	return ns
}

// conformBlock is a docs block: the markdown report of a conformance run.
// Divergences are what the document reports, so exit status 1 is expected.
func conformBlock(args string) (string, error) {
	var out, errb bytes.Buffer
	err := run(&out, &errb, append([]string{"conform", "--format", "markdown"}, splitArgs(args)...))
	var v violationError
	if err != nil && !errors.As(err, &v) {
		return "", fmt.Errorf("%v %s", err, errb.String())
	}
	return out.String(), nil
}
