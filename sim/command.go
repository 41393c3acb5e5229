package sim

import (
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/model"
)

// Command returns the `simulate run` command line that reproduces c exactly:
// every setting that differs from its default, in a fixed order.
func (c Config) Command() string {
	c = c.Normalize()
	// Defaults that depend on other settings, computed as Normalize would.
	d := Config{Topology: c.Topology, Endpoint: model.Config{Mode: c.Endpoint.Mode}, Workload: c.Workload, Network: Network{LatencyTicks: c.Network.LatencyTicks}}
	d.Workload.StartTicks, d.Network.HealTicks = 0, 0
	d = d.Normalize()
	// The default heal time follows the actual start time.
	h := Config{Topology: c.Topology, Endpoint: d.Endpoint, Workload: c.Workload, Network: Network{LatencyTicks: c.Network.LatencyTicks}}
	h.Network.HealTicks = 0
	h = h.Normalize()
	d.Network.HealTicks = h.Network.HealTicks
	args := []string{"simulate", "run", "--variant", c.Variant}
	add := func(name, value string) { args = append(args, "--"+name, value) }
	addInt := func(name string, v, def int64) {
		if v != def {
			add(name, strconv.FormatInt(v, 10))
		}
	}
	if c.Topology != Direct {
		add("topology", c.Topology.String())
		if c.SubscriberVariant != c.Variant && c.Topology.Layout().HasBroker() {
			add("sub-variant", c.SubscriberVariant)
		}
	}
	if c.Endpoint.Mode != model.Stream {
		add("mode", c.Endpoint.Mode.String())
	}
	if c.Endpoint.Version != model.V5 {
		add("mqtt", c.Endpoint.Version.String())
	}
	add("seed", strconv.FormatUint(c.Seed, 10))
	addInt("messages", int64(c.Workload.Messages), DefaultMessages)
	addInt("start", c.Workload.StartTicks, d.Workload.StartTicks)
	addInt("interval", c.Workload.IntervalTicks, DefaultIntervalTicks)
	addInt("topics", int64(c.Workload.Topics), 1)
	addInt("payload-bytes", int64(c.Workload.PayloadBytes), DefaultPayloadBytes)
	addInt("distinct-payloads", int64(c.Workload.DistinctPayloads), 0)
	if c.Endpoint.IDPolicy != model.LowestFree {
		add("id-policy", c.Endpoint.IDPolicy.String())
	}
	if c.Endpoint.Choices != 0 {
		add("choices", c.Endpoint.Choices.String())
	}
	e := c.Endpoint
	addInt("ids", int64(e.IDSpace), model.DefaultIDSpace)
	addInt("receive-max", int64(e.ReceiveMax), model.DefaultReceiveMax)
	addInt("retry", e.RetryTicks, model.DefaultRetryTicks)
	addInt("retry-limit", int64(e.RetryLimit), model.DefaultRetryLimit)
	addInt("ttl", e.TTLTicks, 0)
	addInt("store-cap", int64(e.StoreCap), 0)
	addInt("session-expiry", e.SessionExpiryTicks, 0)
	if e.Volatile {
		args = append(args, "--volatile")
	}
	if e.CleanStart {
		args = append(args, "--clean-start")
	}
	n := c.Network
	addInt("latency", n.LatencyTicks, DefaultLatencyTicks)
	addInt("jitter", n.JitterTicks, 0)
	if n.Loss != 0 {
		add("loss", strconv.FormatFloat(n.Loss, 'g', -1, 64))
	}
	if n.Dup != 0 {
		add("dup", strconv.FormatFloat(n.Dup, 'g', -1, 64))
	}
	addInt("break-mean", n.BreakMeanTicks, 0)
	addInt("crash-mean", n.CrashMeanTicks, 0)
	addInt("reconnect", n.ReconnectTicks, DefaultReconnectTicks)
	addInt("restart", n.RestartTicks, DefaultRestartTicks)
	addInt("heal", n.HealTicks, d.Network.HealTicks)
	if len(c.Faults) > 0 {
		add("faults", strconv.Quote(c.Faults.String()))
	}
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t;#") && !strings.HasPrefix(a, `"`) {
			args[i] = strconv.Quote(a)
		}
	}
	return strings.Join(args, " ")
}
