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

// newShadows builds the model of every node of a run, in layout order,
// under cfg. Subscribers start without a session: like the real clients,
// they subscribe in the run.
func newShadows(cfg model.Config, t sim.Topology) (map[string]model.Endpoint, error) {
	v, err := model.Lookup(shadowVariant)
	if err != nil {
		return nil, err
	}
	l := t.Layout()
	eps := map[string]model.Endpoint{}
	for i, n := range l.Nodes {
		if n.Broker {
			var clients []model.BrokerClient
			for _, lk := range l.Links {
				if lk.Server != i {
					continue
				}
				c := l.Nodes[lk.Client]
				bc := model.BrokerClient{Name: c.Name}
				if c.Publishes {
					bc.In = &v
				}
				if c.Receives {
					bc.Out = &v
				}
				clients = append(clients, bc)
			}
			eps[n.Name] = model.NewBroker(cfg, clients)
			continue
		}
		var out, in *model.Variant
		if n.Publishes {
			out = &v
		}
		if n.Receives {
			in = &v
		}
		s := model.SessionOf(cfg.As(model.RoleClient), out, in)
		if n.Subscribe != "" {
			s.Subscribe(model.Subscription{Filter: n.Subscribe, QoS: v.QoS})
		}
		eps[n.Name] = s
	}
	return eps, nil
}
