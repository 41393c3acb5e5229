package analytic

import (
	"fmt"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// flow is what a variant's endpoints put on the wire in each state of one
// message's flow, read off the endpoints themselves.
type flow struct {
	fireAndForget bool         // the flow completes as the PUBLISH leaves (QoS 0)
	publish       model.Packet // first transmission
	publishAgain  model.Packet // what the retry timer sends in phase 1
	ack           model.Packet // the receiver's answer to every PUBLISH of the flow
	release       bool         // the acknowledgement starts a second exchange (QoS 2)
	pubrel        model.Packet // phase 2, first transmission and retransmissions
	comp          model.Packet // answer to PUBREL while the receiver holds the id
	compAgain     model.Packet // answer to a PUBREL after the receiver released the id
}

// driver feeds inputs to a pair of endpoints and returns what they sent.
type driver struct {
	snd, rcv model.Endpoint
	out      []model.Output
	timer    model.Timer
	armed    bool
}

func (d *driver) step(ep model.Endpoint, in model.Input) (sent []model.Packet, done, abandoned bool) {
	d.out = ep.Step(in, d.out[:0])
	for _, o := range d.out {
		switch o.Kind {
		case model.OutSend:
			sent = append(sent, o.Packet)
		case model.OutComplete:
			done = true
		case model.OutAbandon:
			abandoned = true
		case model.OutSetTimer:
			if ep == d.snd && o.Timer.Purpose() == model.TimerRetry {
				d.timer, d.armed = o.Timer, true
			}
		case model.OutCancelTimer:
			if ep == d.snd && o.Timer == d.timer {
				d.armed = false
			}
		}
	}
	return sent, done, abandoned
}

// one returns the single packet of type t in sent, or an error saying what
// the endpoint did instead.
func one(sent []model.Packet, t model.PacketType, what string) (model.Packet, error) {
	if len(sent) != 1 || (t != 0 && sent[0].Type != t) {
		names := make([]string, len(sent))
		for i, p := range sent {
			names[i] = p.Type.String()
		}
		want := "one packet"
		if t != 0 {
			want = "one " + t.String()
		}
		return model.Packet{}, fmt.Errorf("%s: sent [%s], the chain expects %s", what, strings.Join(names, " "), want)
	}
	return sent[0], nil
}

// probe drives a sender and a receiver of v through one flow, with every
// packet arriving and every retransmission answered, and records the
// packets of each state.
func probe(v model.Variant, c sim.Config) (flow, error) {
	ec := c.Endpoint
	d := &driver{snd: v.NewSender(ec.As(model.RoleClient)), rcv: v.NewReceiver(ec.As(model.RoleServer))}
	d.step(d.snd, model.Input{Kind: model.InConnUp})
	d.step(d.rcv, model.Input{Kind: model.InConnUp})
	payload := "v0" + strings.Repeat(".", max(c.Workload.PayloadBytes-2, 0))
	msg := model.Message{Ref: 1, Topic: "qoslab/0", Payload: payload}
	var f flow
	sent, done, _ := d.step(d.snd, model.Input{Kind: model.InPublish, Msg: msg})
	var err error
	if f.publish, err = one(sent, model.PUBLISH, "publication"); err != nil {
		return f, err
	}
	if done {
		f.fireAndForget = true
		return f, nil
	}
	sent, _, _ = d.step(d.rcv, model.Input{Kind: model.InPacket, Packet: f.publish})
	if f.ack, err = one(sent, 0, "receiver given the PUBLISH"); err != nil {
		return f, err
	}
	if !d.armed {
		return f, fmt.Errorf("the sender armed no retry timer for its PUBLISH")
	}
	sent, _, _ = d.step(d.snd, model.Input{Kind: model.InTimer, Timer: d.timer})
	if f.publishAgain, err = one(sent, model.PUBLISH, "retry timer in phase 1"); err != nil {
		return f, err
	}
	sent, _, _ = d.step(d.rcv, model.Input{Kind: model.InPacket, Packet: f.publishAgain})
	ack2, err := one(sent, f.ack.Type, "receiver given the PUBLISH again")
	if err != nil {
		return f, err
	}
	if ack2.Size(ec.Version) != f.ack.Size(ec.Version) {
		return f, fmt.Errorf("the answer to a repeated PUBLISH differs in size (%d vs %d bytes)", ack2.Size(ec.Version), f.ack.Size(ec.Version))
	}
	sent, done, _ = d.step(d.snd, model.Input{Kind: model.InPacket, Packet: f.ack})
	if done {
		if len(sent) != 0 {
			return f, fmt.Errorf("the sender completed and sent %d packet(s)", len(sent))
		}
		return f, nil
	}
	f.release = true
	if f.pubrel, err = one(sent, model.PUBREL, "sender given the acknowledgement"); err != nil {
		return f, err
	}
	sent, _, _ = d.step(d.rcv, model.Input{Kind: model.InPacket, Packet: f.pubrel})
	if f.comp, err = one(sent, model.PUBCOMP, "receiver given PUBREL"); err != nil {
		return f, err
	}
	sent, _, _ = d.step(d.snd, model.Input{Kind: model.InTimer, Timer: d.timer})
	again, err := one(sent, model.PUBREL, "retry timer in phase 2")
	if err != nil {
		return f, err
	}
	if again.Size(ec.Version) != f.pubrel.Size(ec.Version) {
		return f, fmt.Errorf("a retransmitted PUBREL differs in size")
	}
	sent, _, _ = d.step(d.rcv, model.Input{Kind: model.InPacket, Packet: again})
	if f.compAgain, err = one(sent, model.PUBCOMP, "receiver given PUBREL for a released id"); err != nil {
		return f, err
	}
	if _, done, _ = d.step(d.snd, model.Input{Kind: model.InPacket, Packet: f.comp}); !done {
		return f, fmt.Errorf("the sender did not complete on PUBCOMP")
	}
	return f, nil
}
