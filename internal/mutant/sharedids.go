// Package mutant holds deliberately broken protocol variants that qoslab's
// own tests must catch: a checker that stops finding them has lost power.
// They register under hidden names (kept out of the command line's lists);
// tests import the package for its side effect:
//
//	import _ "github.com/qoslab/qoslab/internal/mutant"
package mutant

import (
	"strconv"

	"github.com/qoslab/qoslab/model"
)

// SharedIDs is the name of the shared-id-table mutant.
const SharedIDs = "shared-id-table"

func init() {
	qos2, err := model.Lookup("qos2-b")
	if err != nil {
		panic(err)
	}
	model.Register(model.Variant{
		Name: SharedIDs,
		Description: "QoS 2 whose end keeps ONE table of in-flight packet ids for both directions " +
			"(a real broker's bug): correct one way, broken as soon as both ends publish",
		QoS: 2,
		// One way, it is plain QoS 2 Method B: the bug needs both
		// directions on one connection.
		NewOutbound: qos2.NewOutbound,
		NewInbound:  qos2.NewInbound,
		NewDuplex:   func(c model.Config) model.Half { return &sharedIDs{cfg: c.Normalize()} },
		Hidden:      true,
	})
}

// entry is one packet id in the shared table and what the end would send
// for it on resume, as mochi-mqtt v2.7.9 keeps its Client.State.Inflight:
// PUBLISH (ours, waiting for PUBREC), PUBREL (ours, waiting for PUBCOMP)
// or PUBREC (the peer's, held until its PUBREL).
type entry struct {
	id   uint16
	typ  model.PacketType
	ours bool // the flow of a message this end publishes
	msg  model.Message
}

// sharedIDs runs QoS 2 in both directions (Method B when receiving) with a
// single table keyed by packet id alone. The spec lets each direction
// assign ids independently [MQTT-2.2.1-3], so the peer's PUBLISH may carry
// an id this end uses for one of its own flows, and then the table
// confuses them: a PUBLISH whose id holds our flow deletes that flow (the
// message is never resent nor completed), a PUBCOMP deletes whatever the id
// holds, including a peer's id we still hold (its retransmitted PUBLISH is
// then new and delivered again).
type sharedIDs struct {
	cfg   model.Config
	table []entry         // in insertion order, the order of resends
	queue []model.Message // published, waiting for an id
}

func (s *sharedIDs) find(id uint16) int {
	for i := range s.table {
		if s.table[i].id == id {
			return i
		}
	}
	return -1
}

func (s *sharedIDs) remove(i int) entry {
	e := s.table[i]
	s.table = append(s.table[:i], s.table[i+1:]...)
	return e
}

func (s *sharedIDs) Step(c *model.Ctx, in *model.Input, out []model.Output) []model.Output {
	switch in.Kind {
	case model.InPublish:
		s.queue = append(s.queue, in.Msg)
		return s.pump(c, out)
	case model.InPacket:
		p := &in.Packet
		switch p.Type {
		case model.PUBLISH:
			return s.onPublish(p, out)
		case model.PUBREC:
			return s.onPubrec(p, out)
		case model.PUBREL:
			return s.onPubrel(p, out)
		case model.PUBCOMP:
			return s.onPubcomp(c, p, out)
		}
	case model.InResume:
		// Resend every entry, as mochi's ResendInflightMessages does: our
		// PUBLISHes with DUP set, our PUBRELs, and the PUBRECs of ids held.
		for _, e := range s.table {
			p := model.Packet{Type: e.typ, ID: e.id}
			if e.typ == model.PUBLISH {
				p.QoS, p.Dup, p.Msg = 2, true, e.msg
			}
			out = model.Send(out, p)
		}
		return s.pump(c, out)
	case model.InWake:
		return s.pump(c, out)
	case model.InDiscard:
		return s.drop("session discarded", out)
	case model.InCrash:
		if s.cfg.Volatile {
			return s.drop("lost in a crash", out)
		}
	}
	return out
}

func (s *sharedIDs) drop(why string, out []model.Output) []model.Output {
	for _, e := range s.table {
		if e.ours {
			out = model.Abandon(out, e.msg, why)
		}
	}
	s.table = s.table[:0]
	return out
}

func (s *sharedIDs) outbound() int {
	n := 0
	for _, e := range s.table {
		if e.ours {
			n++
		}
	}
	return n
}

// pump starts flows while the window allows, each under the lowest id the
// table does not hold (mochi's NextPacketID skips every inflight id).
func (s *sharedIDs) pump(c *model.Ctx, out []model.Output) []model.Output {
	for c.Up && len(s.queue) > 0 && s.outbound() < s.cfg.ReceiveMax {
		id := 0
		for k := 1; k <= s.cfg.IDSpace; k++ {
			if s.find(uint16(k)) < 0 && uint16(k) != c.Reserved {
				id = k
				break
			}
		}
		if id == 0 {
			break
		}
		m := s.queue[0]
		s.queue = s.queue[1:]
		s.table = append(s.table, entry{id: uint16(id), typ: model.PUBLISH, ours: true, msg: m})
		out = model.Persist(out, "outgoing message recorded under its packet id")
		out = model.Send(out, model.Packet{Type: model.PUBLISH, ID: uint16(id), QoS: 2, Msg: m})
	}
	return out
}

func (s *sharedIDs) onPublish(p *model.Packet, out []model.Output) []model.Output {
	if i := s.find(p.ID); i >= 0 {
		if s.table[i].typ == model.PUBREC {
			return model.Send(out, model.Packet{Type: model.PUBREC, ID: p.ID})
		}
		// The bug: the id holds one of OUR flows, which this deletes as
		// if the peer's PUBLISH had settled it.
		s.remove(i)
	}
	s.table = append(s.table, entry{id: p.ID, typ: model.PUBREC, msg: model.Message{Ref: p.Msg.Ref}})
	out = model.Persist(out, "packet id held until PUBREL")
	out = model.Deliver(out, p.Msg)
	return model.Send(out, model.Packet{Type: model.PUBREC, ID: p.ID})
}

func (s *sharedIDs) onPubrec(p *model.Packet, out []model.Output) []model.Output {
	i := s.find(p.ID)
	if i < 0 {
		return model.Send(out, model.Packet{Type: model.PUBREL, ID: p.ID, Reason: model.ReasonPacketIDNotFound})
	}
	// Whatever the id held, it now waits for PUBCOMP.
	s.table[i].typ = model.PUBREL
	return model.Send(out, model.Packet{Type: model.PUBREL, ID: p.ID})
}

func (s *sharedIDs) onPubrel(p *model.Packet, out []model.Output) []model.Output {
	i := s.find(p.ID)
	if i < 0 {
		return model.Send(out, model.Packet{Type: model.PUBCOMP, ID: p.ID, Reason: model.ReasonPacketIDNotFound})
	}
	e := s.remove(i)
	out = model.Send(out, model.Packet{Type: model.PUBCOMP, ID: p.ID})
	if e.ours {
		// The id held our own flow: it ends here, unacknowledged.
		out = model.Abandon(out, e.msg, "flow ended by the peer's PUBREL")
	}
	return out
}

func (s *sharedIDs) onPubcomp(c *model.Ctx, p *model.Packet, out []model.Output) []model.Output {
	i := s.find(p.ID)
	if i < 0 {
		return out
	}
	if e := s.remove(i); e.ours {
		out = model.Complete(out, e.msg)
	}
	return s.pump(c, out)
}

func (s *sharedIDs) Clone() model.Half {
	c := *s
	c.table = append([]entry(nil), s.table...)
	c.queue = append([]model.Message(nil), s.queue...)
	return &c
}

func (s *sharedIDs) AppendKey(dst []byte) []byte {
	dst = append(dst, byte(len(s.table)), byte(len(s.queue)))
	for _, e := range s.table {
		dst = append(dst, byte(e.id>>8), byte(e.id), byte(e.typ))
		dst = appendRef(dst, e.msg.Ref)
		if e.ours {
			dst = append(dst, 1)
		} else {
			dst = append(dst, 0)
		}
	}
	for _, m := range s.queue {
		dst = appendRef(dst, m.Ref)
	}
	return dst
}

func appendRef(dst []byte, r uint32) []byte {
	return append(dst, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
}

func (s *sharedIDs) Pending(dst []string) []string {
	for _, e := range s.table {
		id := strconv.Itoa(int(e.id))
		switch {
		case !e.ours:
			dst = append(dst, "id "+id+" held until PUBREL")
		case e.typ == model.PUBLISH:
			dst = append(dst, "id "+id+" waiting for PUBREC (m"+strconv.Itoa(int(e.msg.Ref))+")")
		default:
			dst = append(dst, "id "+id+" waiting for PUBCOMP (m"+strconv.Itoa(int(e.msg.Ref))+")")
		}
	}
	if len(s.queue) > 0 {
		dst = append(dst, strconv.Itoa(len(s.queue))+" message(s) queued for a packet id")
	}
	return dst
}

func (s *sharedIDs) Held() int { return len(s.table) - s.outbound() }

// AppendKept implements model.Keeper: our messages in the table and in
// the queue.
func (s *sharedIDs) AppendKept(dst []uint32) ([]uint32, bool) {
	for _, e := range s.table {
		if e.ours {
			dst = append(dst, e.msg.Ref)
		}
	}
	for _, m := range s.queue {
		dst = append(dst, m.Ref)
	}
	return dst, true
}
