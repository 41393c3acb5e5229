package conformance

import (
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// Shadows are the model's view of each node, stepped with the inputs the
// real node received: a client is a model.Session (both directions of its
// connection, its subscription), the broker a model.Broker (a server
// session per client connection, and the routing between them). They are
// built from the topology's layout, the simulator's, so the harness runs
// the systems the simulator and the explorer run. Every choice the
// specification leaves open is open in them (model.AllChoices), and the
// oracle follows each option with model.Outcomes.

// shadowVariant is the protocol every shadow runs: QoS 2. Its receiver
// delivers at PUBLISH (Method B); Method A is one of the open choices.
const shadowVariant = "qos2-b"

// shadowConfig is the model configuration of every shadow: TCP, the run's
// version, every choice open, and the packet id policy of one base
// candidate (any other unused id is followed by the oracle's id map).
func shadowConfig(v model.Version, ids model.IDPolicy, clean bool) model.Config {
	return model.Config{Mode: model.Stream, Version: v, IDPolicy: ids, Choices: model.AllChoices, CleanStart: clean}
}

// newShadows builds the model of every node of a run, by name, under cfg:
// the simulator's layout of the topology with every session new
// (sim.Layout.FreshEndpoints): like the real clients, subscribers subscribe
// in the run.
func newShadows(cfg model.Config, t sim.Topology) (map[string]model.Endpoint, error) {
	v, err := model.Lookup(shadowVariant)
	if err != nil {
		return nil, err
	}
	l := t.Layout()
	eps := map[string]model.Endpoint{}
	for i, e := range l.FreshEndpoints(cfg, v, v) {
		eps[l.Nodes[i].Name] = e
	}
	return eps, nil
}
