// Package volatileids is a protocol variant written outside qoslab, in a
// module of its own: QoS 2 whose receiver keeps the packet ids it holds in
// memory only, a tempting shortcut that saves a disk write per message.
// It registers itself on import, with a property of its own.
package volatileids

import (
	"strconv"

	"github.com/qoslab/qoslab/model"
)

// Name is the variant's name on the command line and in tables.
const Name = "qos2-volatile-ids"

func init() {
	qos2, err := model.Lookup("qos2-b")
	if err != nil {
		panic(err)
	}
	model.Register(model.Variant{
		Name:        Name,
		Description: "QoS 2 whose receiver keeps held packet ids in memory only: a crash makes a retransmission look new",
		QoS:         2,
		NewOutbound: qos2.NewOutbound, // the standard QoS 2 sender
		NewInbound:  func(model.Config) model.Half { return &receiver{} },
	})
}

// receiver is Method B: deliver at PUBLISH, hold the id until PUBREL. The
// session around it does CONNECT/CONNACK, session present and expiry.
type receiver struct{ held []uint16 }

func (r *receiver) Step(c *model.Ctx, in *model.Input, out []model.Output) []model.Output {
	switch {
	case in.Kind == model.InCrash, in.Kind == model.InDiscard:
		r.held = nil // the shortcut: never written to session state
	case in.Kind == model.InPacket && in.Packet.Type == model.PUBLISH:
		p := &in.Packet
		if !r.holds(p.ID) {
			r.held = append(r.held, p.ID)
			out = model.Deliver(out, p.Msg)
		}
		return model.Send(out, model.Packet{Type: model.PUBREC, ID: p.ID})
	case in.Kind == model.InPacket && in.Packet.Type == model.PUBREL:
		for i, id := range r.held {
			if id == in.Packet.ID {
				r.held = append(r.held[:i], r.held[i+1:]...)
				break
			}
		}
		return model.Send(out, model.Packet{Type: model.PUBCOMP, ID: in.Packet.ID})
	}
	return out
}

func (r *receiver) holds(id uint16) bool {
	for _, h := range r.held {
		if h == id {
			return true
		}
	}
	return false
}

func (r *receiver) Clone() model.Half { return &receiver{held: append([]uint16(nil), r.held...)} }

func (r *receiver) AppendKey(dst []byte) []byte {
	for _, id := range r.held {
		dst = append(dst, byte(id>>8), byte(id))
	}
	return append(dst, 0xff, 0xff) // 0xffff is no packet id: the list ends
}

func (r *receiver) Pending(dst []string) []string {
	for _, id := range r.held {
		dst = append(dst, "id "+strconv.Itoa(int(id))+" held until PUBREL")
	}
	return dst
}

func (r *receiver) Held() int { return len(r.held) }
