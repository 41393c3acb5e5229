package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"sort"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// runFlags are the settings of a simulated run; every command that runs
// simulations takes them with the same names and meanings.
type runFlags struct {
	variant, subVariant, topology, mode, version, idPolicy, faults  string
	choices                                                         string
	seed                                                            uint64
	messages, start, interval, topics, payloadBytes, distinct       int64
	ids, receiveMax, retryLimit                                     int64
	retry, ttl, storeCap, sessionExpiry                             int64
	latency, jitter, breakMean, crashMean, reconnect, restart, heal int64
	loss, dup                                                       float64
	volatile, cleanStart                                            bool
}

func addRunFlags(fs *flag.FlagSet) *runFlags {
	f := &runFlags{}
	fs.StringVar(&f.variant, "variant", sim.DefaultVariant, "protocol variant (simulate variants lists them)")
	fs.StringVar(&f.subVariant, "sub-variant", "", "variant subscribers ask for; the broker forwards at the lower QoS (topologies with a broker; default: --variant)")
	fs.StringVar(&f.topology, "topology", "direct", "direct (client -> server), duplex (both publish on one connection), broker (publisher -> broker -> subscriber), pair (two clients publish to each other through the broker) or self (a client subscribed to its own topic)")
	fs.StringVar(&f.mode, "mode", "stream", "network mode: stream (MQTT over TCP) or datagram (MQTT-SN style)")
	fs.StringVar(&f.version, "mqtt", "5.0", "MQTT version whose rules and encodings apply: 5.0 or 3.1.1")
	fs.StringVar(&f.idPolicy, "id-policy", "lowest-free", "packet id allocation: lowest-free, sequential or any (any free id, drawn from the seed: a permitted choice)")
	fs.StringVar(&f.choices, "choices", "none", "choices the MQTT specification leaves open that may go either way, drawn from the seed: all, none or a list of pubcomp-reason, repeat-pubrec, resend-order, method, keep-session (docs/spec-table.md)")
	fs.StringVar(&f.faults, "faults", "", `explicit fault schedule, e.g. "break after-send PUBREC#1; crash server at 40"`)
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the run's random source")
	fs.Int64Var(&f.messages, "messages", sim.DefaultMessages, "messages the publisher sends")
	fs.Int64Var(&f.start, "start", 0, "tick of the first publication (0: once connected)")
	fs.Int64Var(&f.interval, "interval", sim.DefaultIntervalTicks, "ticks between publications")
	fs.Int64Var(&f.topics, "topics", 1, "distinct topics, used round robin")
	fs.Int64Var(&f.payloadBytes, "payload-bytes", sim.DefaultPayloadBytes, "payload size in bytes")
	fs.Int64Var(&f.distinct, "distinct-payloads", 0, "payloads repeat with this period (0: all distinct)")
	fs.Int64Var(&f.ids, "ids", model.DefaultIDSpace, "packet id space 1..N")
	fs.Int64Var(&f.receiveMax, "receive-max", model.DefaultReceiveMax, "Receive Maximum: PUBLISH flows in flight at once")
	fs.Int64Var(&f.retry, "retry", model.DefaultRetryTicks, "datagram retransmission timeout in ticks")
	fs.Int64Var(&f.retryLimit, "retry-limit", model.DefaultRetryLimit, "datagram retransmissions of one packet before giving up")
	fs.Int64Var(&f.ttl, "ttl", 0, "lifetime in ticks of de-duplication entries (stores that expire; 0: variant default)")
	fs.Int64Var(&f.storeCap, "store-cap", 0, "capacity of de-duplication stores that evict (0: unbounded)")
	fs.Int64Var(&f.sessionExpiry, "session-expiry", 0, "MQTT 5.0 Session Expiry Interval in ticks: the session is dropped when disconnected this long (0: never)")
	fs.BoolVar(&f.volatile, "volatile", false, "session state is lost when a node crashes (default: durable)")
	fs.BoolVar(&f.cleanStart, "clean-start", false, "clients ask for a new session at every connect (Clean Start 1): flows and subscriptions do not survive a break")
	fs.Int64Var(&f.latency, "latency", sim.DefaultLatencyTicks, "one-way delay in ticks")
	fs.Int64Var(&f.jitter, "jitter", 0, "extra delay drawn from [0, jitter] ticks; reorders packets in datagram mode")
	fs.Float64Var(&f.loss, "loss", 0, "datagram: probability a packet is lost")
	fs.Float64Var(&f.dup, "dup", 0, "datagram: probability a packet is duplicated")
	fs.Int64Var(&f.breakMean, "break-mean", 0, "stream: mean ticks between random connection breaks (0: none)")
	fs.Int64Var(&f.crashMean, "crash-mean", 0, "mean ticks between random crashes of a random node (0: none)")
	fs.Int64Var(&f.reconnect, "reconnect", sim.DefaultReconnectTicks, "ticks before the client reconnects after a break")
	fs.Int64Var(&f.restart, "restart", sim.DefaultRestartTicks, "ticks a crashed node stays down")
	fs.Int64Var(&f.heal, "heal", 0, "tick at which random faults stop (0: 20 latencies after the last publication)")
	return f
}

// maxTicks bounds every tick flag: sums of them (the heal time is start +
// messages x interval + 20 latencies) must not overflow, and a random draw
// over [0, jitter] must be possible.
const maxTicks = 1_000_000_000

// nonEmpty rejects string flags given as "" whose parsers read "" as a default.
func nonEmpty(flags map[string]string) error {
	names := make([]string, 0, len(flags))
	for n := range flags {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if flags[n] == "" {
			return usagef("--%s: empty value; leave the flag out for its default (simulate COMMAND --help)", n)
		}
	}
	return nil
}

// config turns the flags into a validated simulation config.
func (f *runFlags) config() (sim.Config, error) {
	var c sim.Config
	var err error
	c.Variant, c.SubscriberVariant, c.Seed = f.variant, f.subVariant, f.seed
	// The parsers below read "" as their default, which only the flag's own
	// default should mean; an empty value typed on the command line is a mistake.
	if err := nonEmpty(map[string]string{"variant": f.variant, "topology": f.topology, "mode": f.mode,
		"mqtt": f.version, "id-policy": f.idPolicy, "choices": f.choices}); err != nil {
		return c, err
	}
	if _, err := model.Lookup(f.variant); err != nil {
		return c, usagef("--variant: %v", err)
	}
	if f.subVariant != "" {
		if _, err := model.Lookup(f.subVariant); err != nil {
			return c, usagef("--sub-variant: %v", err)
		}
	}
	if c.Topology, err = sim.ParseTopology(f.topology); err != nil {
		return c, usagef("--topology: %v", err)
	}
	if c.Endpoint.Mode, err = model.ParseMode(f.mode); err != nil {
		return c, usagef("--mode: %v", err)
	}
	if c.Endpoint.Version, err = model.ParseVersion(f.version); err != nil {
		return c, usagef("--mqtt: %v", err)
	}
	if c.Endpoint.IDPolicy, err = model.ParseIDPolicy(f.idPolicy); err != nil {
		return c, usagef("--id-policy: %v", err)
	}
	if c.Endpoint.Choices, err = model.ParseChoices(f.choices); err != nil {
		return c, usagef("--choices: %v", err)
	}
	c.Endpoint.CleanStart = f.cleanStart
	if c.Faults, err = sim.ParseSchedule(f.faults); err != nil {
		return c, usagef("--faults: %v", err)
	}
	ints := []struct {
		name string
		v    int64
		min  int64
		max  int64
		dst  *int
	}{
		{"messages", f.messages, 1, 10_000_000, &c.Workload.Messages},
		{"topics", f.topics, 1, 1 << 20, &c.Workload.Topics},
		{"payload-bytes", f.payloadBytes, 1, 1 << 20, &c.Workload.PayloadBytes},
		{"distinct-payloads", f.distinct, 0, 1 << 30, &c.Workload.DistinctPayloads},
		{"ids", f.ids, 1, 65535, &c.Endpoint.IDSpace},
		{"receive-max", f.receiveMax, 1, 65535, &c.Endpoint.ReceiveMax},
		{"retry-limit", f.retryLimit, 1, 1000, &c.Endpoint.RetryLimit},
		{"store-cap", f.storeCap, 0, 1 << 30, &c.Endpoint.StoreCap},
	}
	for _, i := range ints {
		if i.v < i.min || i.v > i.max {
			return c, usagef("--%s %d: allowed %d..%d", i.name, i.v, i.min, i.max)
		}
		*i.dst = int(i.v)
	}
	ticks := []struct {
		name string
		v    int64
		min  int64
		dst  *int64
	}{
		{"start", f.start, 0, &c.Workload.StartTicks},
		// 0 would read as the default interval in sim.Config: not what was asked for.
		{"interval", f.interval, 1, &c.Workload.IntervalTicks},
		{"retry", f.retry, 1, &c.Endpoint.RetryTicks},
		{"ttl", f.ttl, 0, &c.Endpoint.TTLTicks},
		{"session-expiry", f.sessionExpiry, 0, &c.Endpoint.SessionExpiryTicks},
		{"latency", f.latency, 1, &c.Network.LatencyTicks},
		{"jitter", f.jitter, 0, &c.Network.JitterTicks},
		{"break-mean", f.breakMean, 0, &c.Network.BreakMeanTicks},
		{"crash-mean", f.crashMean, 0, &c.Network.CrashMeanTicks},
		{"reconnect", f.reconnect, 1, &c.Network.ReconnectTicks},
		{"restart", f.restart, 1, &c.Network.RestartTicks},
		{"heal", f.heal, 0, &c.Network.HealTicks},
	}
	for _, t := range ticks {
		if t.v < t.min || t.v > maxTicks {
			return c, usagef("--%s %d: allowed %d..%d ticks", t.name, t.v, t.min, maxTicks)
		}
		*t.dst = t.v
	}
	if !(f.loss >= 0 && f.loss <= 1) {
		return c, usagef("--loss %v: a probability, allowed 0..1", f.loss)
	}
	if !(f.dup >= 0 && f.dup <= 1) {
		return c, usagef("--dup %v: a probability, allowed 0..1", f.dup)
	}
	c.Network.Loss, c.Network.Dup, c.Endpoint.Volatile = f.loss, f.dup, f.volatile
	// Flags whose setting would be ignored are refused, like --loss in stream mode.
	if f.subVariant != "" && !c.Topology.Layout().HasBroker() {
		return c, usagef("--sub-variant %s: a subscription needs a topology with a broker (broker, pair, self)", f.subVariant)
	}
	if f.cleanStart && c.Endpoint.Mode != model.Stream {
		return c, usagef("--clean-start: datagram mode has no CONNECT to ask for a clean start; use --mode stream")
	}
	if f.sessionExpiry > 0 && c.Endpoint.Version != model.V5 {
		return c, usagef("--session-expiry %d: the Session Expiry Interval is MQTT 5.0's; --mqtt %s has none", f.sessionExpiry, f.version)
	}
	c = c.Normalize()
	if err := c.Validate(); err != nil {
		return c, usageError{err.Error()}
	}
	return c, nil
}

// parseFlags parses args, turning flag errors and stray arguments into
// usage errors and --help into a helpRequest.
func parseFlags(fs *flag.FlagSet, stderr io.Writer, args []string) error {
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		a := fs.Arg(0)
		if a == "true" || a == "false" {
			return usagef("%s: unexpected argument %q: a boolean flag takes its value with =, as in --volatile=%s", fs.Name(), a, a)
		}
		return usagef("%s: unexpected argument %q (flags start with --)", fs.Name(), a)
	}
	return nil
}

// parseArgs parses the flags of args (positional arguments may follow),
// printing nothing: the error returned says it all in one line.
func parseArgs(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return helpRequest{fs}
	}
	return usageError{flagMessage(fs, err)}
}

var (
	undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	badFlagValue  = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-+([^:]*): (.*)$`)
	missingValue  = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
)

// flagMessage rewrites the flag package's errors in the words of our own
// usage errors: the flag as it is typed, the value, what is allowed.
func flagMessage(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s: not a flag of simulate %s (simulate %s --help lists them)", m[1], fs.Name(), fs.Name())
	}
	if m := missingValue.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s: needs a value (simulate %s --help)", m[1], fs.Name())
	}
	if m := badFlagValue.FindStringSubmatch(msg); m != nil {
		want := "a valid value"
		if fl := fs.Lookup(m[2]); fl != nil {
			kind, _ := flag.UnquoteUsage(fl)
			if _, own := fl.Value.(*memSize); own {
				return fmt.Sprintf("--%s %q: %s", m[2], m[1], m[3]) // our own value says what it wants
			}
			switch kind {
			case "int":
				want = "a whole number"
			case "uint":
				want = "a whole number from 0 to 18446744073709551615"
			case "float":
				want = "a number"
			case "":
				want = "true or false"
			}
		}
		return fmt.Sprintf("--%s %q: want %s (%s)", m[2], m[1], want, m[3])
	}
	return msg
}

// notFor marks run flags that a command refuses (it sets them itself) in
// its --help, so that the list of flags does not offer them.
func notFor(fs *flag.FlagSet, why string, names ...string) {
	for _, n := range names {
		fs.Lookup(n).Usage = "not for simulate " + fs.Name() + ": " + why
	}
}

// helpRequest is --help: main prints the command's usage on stdout and exits 0.
type helpRequest struct{ fs *flag.FlagSet }

func (helpRequest) Error() string        { return "help requested" }
func (helpRequest) Is(target error) bool { return target == errHelp }

func newFlagSet(name, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: simulate %s [flags]\n\n%s\n\nflags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}
