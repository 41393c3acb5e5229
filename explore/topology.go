package explore

import (
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// topology is sim.Layout indexed the way the explorer moves through it:
// which node publishes the k-th message, which node and connection a
// direction leads to, which direction a node's connection sends on.
type topology struct {
	top    sim.Topology
	layout sim.Layout
	pubs   []int   // publishing nodes, in order
	conns  [][]int // per node: the connection of each of its conns (Input.Conn)
}

func newTopology(t sim.Topology) topology {
	l := t.Layout()
	top := topology{top: t, layout: l, pubs: l.Publishers(), conns: make([][]int, len(l.Nodes))}
	for i, lk := range l.Links {
		top.conns[lk.Client] = append(top.conns[lk.Client], i)
		for len(top.conns[lk.Server]) <= int(lk.Conn) {
			top.conns[lk.Server] = append(top.conns[lk.Server], 0)
		}
		top.conns[lk.Server][lk.Conn] = i
	}
	return top
}

// publisher is the node that publishes message k (from 0), as in the
// simulator: the publishers take turns.
func (t *topology) publisher(k int) int { return t.pubs[k%len(t.pubs)] }

// dir is the direction node sends on over its connection conn.
func (t *topology) dir(node int, conn uint8) int {
	l := t.conns[node][conn]
	if t.layout.Links[l].Client == node {
		return 2 * l
	}
	return 2*l + 1
}

// sender and receiver are the nodes at the two ends of direction d; the
// receiver's Input.Conn for it comes with it.
func (t *topology) sender(d int) int {
	lk := t.layout.Links[d/2]
	if d%2 == 0 {
		return lk.Client
	}
	return lk.Server
}

func (t *topology) receiver(d int) (int, uint8) {
	lk := t.layout.Links[d/2]
	if d%2 == 0 {
		return lk.Server, lk.Conn
	}
	return lk.Client, 0
}

// name is node n's name, as the simulator's traces and fault schedules use it.
func (t *topology) name(n int) string { return t.layout.Nodes[n].Name }

// workload builds the messages as the simulator's default workload does
// (one topic per publisher, distinct 8-byte payloads), so that a replay
// carries the same messages.
func workload(n, distinct int, t topology) []model.Message {
	w := sim.Workload{Messages: n, Topics: 1, PayloadBytes: sim.DefaultPayloadBytes, DistinctPayloads: distinct}
	return sim.MakeWorkload(w, t.top)
}
