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
	first  int             // index of the first message of the block
	msgs   []model.Message // the block's messages
	buf    []byte
	spans  []span
}

// span is where a message's topic and payload are in its block's string.
type span struct{ topic, payload, end int }

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
func (g *workload) reset(w Workload, t Topology) {
	if len(g.msgs) == w.Messages && g.first == 0 && w == g.w && t == g.top {
		return // the whole workload is one block, made for the same settings
	}
	l := t.Layout()
	g.w, g.top, g.layout = w, t, l
	g.pubs = append(g.pubs[:0], l.Publishers()...)
	g.first, g.msgs = 0, g.msgs[:0]
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

// message returns message k, valid until the next call; k is the next
// message of the block made last or the first of the next block.
func (g *workload) message(k int) *model.Message {
	i := k - g.first
	if i < 0 || i >= len(g.msgs) {
		g.make(k)
		i = 0
	}
	return &g.msgs[i]
}

// make makes the block of messages from k on: their topics (unless
// shared) and payloads in one string.
func (g *workload) make(k int) {
	w := g.w
	n := min(workloadBlock, w.Messages-k, max(1, blockBytes/(w.PayloadBytes+16)))
	distinct := w.Messages
	if w.DistinctPayloads > 0 && w.DistinctPayloads < distinct {
		distinct = w.DistinctPayloads
	}
	// Offsets into the string first: it is made once all is written.
	buf, spans := g.buf[:0], g.spans[:0]
	if cap(spans) < n {
		spans = make([]span, 0, n)
		buf = make([]byte, 0, n*(w.PayloadBytes+8))
	}
	for i := k; i < k+n; i++ {
		sp := span{topic: len(buf)}
		if len(g.topics) == 0 {
			p, j := i%len(g.pubs), i/len(g.pubs)
			buf = append(buf, g.layout.Nodes[g.pubs[p]].Topic(j, w.Topics)...)
		}
		sp.payload = len(buf)
		buf = append(buf, 'v')
		buf = strconv.AppendInt(buf, int64(i%distinct), 10)
		for len(buf)-sp.payload < w.PayloadBytes {
			buf = append(buf, '.')
		}
		sp.end = len(buf)
		spans = append(spans, sp)
	}
	text := string(buf)
	g.buf, g.spans, g.first, g.msgs = buf, spans, k, g.msgs[:0]
	if cap(g.msgs) < n {
		g.msgs = make([]model.Message, 0, n)
	}
	for i, sp := range spans {
		m := model.Message{Ref: uint32(k + i + 1), Topic: text[sp.topic:sp.payload], Payload: text[sp.payload:sp.end]}
		if len(g.topics) > 0 {
			p, j := (k+i)%len(g.pubs), (k+i)/len(g.pubs)
			ts := g.topics[p]
			m.Topic = ts[j%len(ts)]
		}
		g.msgs = append(g.msgs, m)
	}
}
