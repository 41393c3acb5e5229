package study

import (
	"fmt"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// Profile is a named network and fault setting. Applying it sets the
// network mode and the random-fault rates and leaves the workload and the
// endpoint settings alone.
type Profile struct {
	Name        string
	Description string
	Mode        model.Mode
	Loss, Dup   float64 // datagram: per-packet probabilities
	JitterTicks int64   // extra delay drawn from [0, JitterTicks]
	// BreakMeanTicks is the mean time between connection breaks (stream).
	BreakMeanTicks int64
	// CrashMeanTicks is the mean time between crashes of a random node;
	// session state survives them unless the run sets --volatile.
	CrashMeanTicks int64
}

// Profiles are the named profiles, in the order tables list them. Latency
// is the run's setting (10 ticks by default); faults stop at the heal
// time so that every run can settle.
var Profiles = []Profile{
	{Name: "clean", Description: "MQTT over TCP, no faults", Mode: model.Stream},
	{Name: "lossy", Description: "datagrams (MQTT-SN style), 10% of packets lost", Mode: model.Datagram, Loss: 0.1},
	{Name: "flapping", Description: "MQTT over TCP, the connection breaks every 150 ticks on average (exponential), the client reconnects after 50", Mode: model.Stream, BreakMeanTicks: 150},
	{Name: "dupes", Description: "datagrams, 10% of packets duplicated, delay jitter 0..20 ticks (reordering)", Mode: model.Datagram, Dup: 0.1, JitterTicks: 20},
	{Name: "crashing", Description: "MQTT over TCP, a random node crashes every 400 ticks on average and restarts after 100 (session state durable unless --volatile)", Mode: model.Stream, CrashMeanTicks: 400},
	{Name: "storm", Description: "datagrams, 20% lost, 10% duplicated, jitter 0..20 ticks", Mode: model.Datagram, Loss: 0.2, Dup: 0.1, JitterTicks: 20},
}

// LookupProfile finds a profile by name.
func LookupProfile(name string) (Profile, error) {
	for _, p := range Profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("unknown profile %q: allowed values are %s", name, strings.Join(ProfileNames(), ", "))
}

// ProfileNames lists the profiles' names.
func ProfileNames() []string {
	names := make([]string, len(Profiles))
	for i, p := range Profiles {
		names[i] = p.Name
	}
	return names
}

// Apply returns c under the profile.
func (p Profile) Apply(c sim.Config) sim.Config {
	c.Endpoint.Mode = p.Mode
	c.Network.Loss, c.Network.Dup = p.Loss, p.Dup
	c.Network.JitterTicks = p.JitterTicks
	c.Network.BreakMeanTicks = p.BreakMeanTicks
	c.Network.CrashMeanTicks = p.CrashMeanTicks
	return c
}
