package model

// This file is the worked example of docs/variants.md ("Adding a variant"),
// compiled and tested so that the guide cannot drift: the guide quotes the
// code between the markers and a test compares the two. It lives in a
// _test.go file so that the example joins the registry of the model tests
// only, not the built-in list.

// --- example variant begins ---

// qos1-dropdup: QoS 1 whose receiver ignores every PUBLISH with DUP set,
// a tempting way to get rid of QoS 1's duplicates. It loses the message
// whenever the first PUBLISH never arrived, since only DUP copies follow.

func init() {
	Register(Variant{
		Name:        "qos1-dropdup",
		Description: "QoS 1 whose receiver ignores PUBLISH with DUP set: resends never duplicate, but a lost first PUBLISH is never delivered",
		QoS:         1,
		NewSender:   func(c Config) Endpoint { return NewSender(c, SenderRules{QoS: 1, Ack: PUBACK}) },
		NewReceiver: func(c Config) Endpoint { return &dropDupReceiver{cfg: c.Normalize()} },
	})
}

type dropDupReceiver struct {
	cfg  Config
	conn Conn // CONNECT/CONNACK, session present, session expiry
}

func (r *dropDupReceiver) Step(in Input, out []Output) []Output {
	if done, _, o := r.conn.handle(&r.cfg, in, out); done {
		return o
	}
	switch {
	case in.Kind == InPacket && in.Packet.Type == PUBLISH:
		if !in.Packet.Dup {
			out = deliver(out, in.Packet.Msg)
		}
		// Acknowledge every PUBLISH [MQTT-4.3.2-4], or the sender would
		// resend it at every reconnect.
		return send(out, Packet{Type: PUBACK, ID: in.Packet.ID})
	case in.Kind == InCrash:
		r.conn.crash(&r.cfg)
	}
	return out
}

func (r *dropDupReceiver) Clone() Endpoint               { c := *r; return &c }
func (r *dropDupReceiver) AppendKey(dst []byte) []byte   { return r.conn.appendKey(dst) }
func (r *dropDupReceiver) Pending(dst []string) []string { return dst }
func (r *dropDupReceiver) Held() int                     { return 0 }

// --- example variant ends ---
