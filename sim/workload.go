package sim

import (
	"strconv"

	"github.com/qoslab/qoslab/model"
)

// workload hands out the messages of a run in publication order. Message k
// is published by the (k mod P)-th of the P publishing nodes, as its (k div
// P)-th message, on the topics of that node used round robin. Payloads are
// padded to size so that byte counts follow the setting.
//
// The messages are made a block at a time, their topics and payloads in one
// string per block, so that a long run never holds its whole workload: a
// block lives as long as an endpoint keeps one of its messages. A workload
// of one block is kept from run to run while its settings stay the same
// (messages are read only: endpoints get copies), so that a Runner's short
// runs do not make it again.
type workload struct {
	w      Workload
	top    Topology
	layout Layout
	pubs   []int
	// topics[p] are publisher p's topics when there are few of them: one
	// string each, shared by their messages. With many topics, each
	// message's topic is in the block.
	topics [][]string
	first  int    // index of the first message of the block
	n      int    // messages in the block
	text   string // their topics (without shared ones) and payloads, back to back
	// Message first+i has its topic at text[start[i]:mid[i]] (empty when
	// shared) and its payload at text[mid[i]:start[i+1]].
	start, mid []int32
	buf        []byte
}

// A block is workloadBlock messages, fewer when their payloads would take
// more than blockBytes; a workload of one block is kept from run to run.
const (
	workloadBlock = 1 << 14
	blockBytes    = 1 << 22
)

// sharedTopics is the largest number of topics per publisher that get
// strings of their own.
const sharedTopics = 1 << 12

// reset prepares the workload w of topology t (with layout l) for a run.
func (g *workload) reset(w Workload, t Topology, l Layout) {
	if g.n == w.Messages && g.first == 0 && w == g.w && t == g.top {
		return // the whole workload is one block, made for the same settings
	}
	g.w, g.top, g.layout = w, t, l
	g.pubs = append(g.pubs[:0], l.Publishers()...)
	g.first, g.n, g.text = 0, 0, ""
	g.topics = g.topics[:0]
	if perPub := min(w.Topics, (w.Messages+len(g.pubs)-1)/len(g.pubs)); perPub <= sharedTopics {
		for _, ni := range g.pubs {
			ts := make([]string, perPub)
			for j := range ts {
				ts[j] = l.Nodes[ni].Topic(j, w.Topics)
			}
			g.topics = append(g.topics, ts)
		}
	}
}

// message returns message k; k is the next message of the block made last
// or the first of the next block.
func (g *workload) message(k int) model.Message {
	i := k - g.first
	if i < 0 || i >= g.n {
		g.make(k)
		i = 0
	}
	topic := g.text[g.start[i]:g.mid[i]]
	if len(g.topics) > 0 {
		p, j := k%len(g.pubs), k/len(g.pubs)
		ts := g.topics[p]
		topic = ts[j%len(ts)]
	}
	return model.Message{Ref: uint32(k + 1), Topic: topic, Payload: g.text[g.mid[i]:g.start[i+1]]}
}

// make makes the block of messages from k on.
func (g *workload) make(k int) {
	w := g.w
	n := min(workloadBlock, w.Messages-k, max(1, blockBytes/(w.PayloadBytes+16)))
	distinct := w.Messages
	if w.DistinctPayloads > 0 && w.DistinctPayloads < distinct {
		distinct = w.DistinctPayloads
	}
	buf := g.buf[:0]
	g.start, g.mid = g.start[:0], g.mid[:0]
	for i := k; i < k+n; i++ {
		g.start = append(g.start, int32(len(buf)))
		if len(g.topics) == 0 {
			p, j := i%len(g.pubs), i/len(g.pubs)
			buf = append(buf, g.layout.Nodes[g.pubs[p]].Topic(j, w.Topics)...)
		}
		g.mid = append(g.mid, int32(len(buf)))
		from := len(buf)
		buf = append(buf, 'v')
		buf = strconv.AppendInt(buf, int64(i%distinct), 10)
		for len(buf)-from < w.PayloadBytes {
			buf = append(buf, '.')
		}
	}
	g.start = append(g.start, int32(len(buf)))
	g.text, g.buf = string(buf), buf
	g.first, g.n = k, n
}
