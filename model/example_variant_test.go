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
		NewOutbound: func(c Config) Half { return NewSender(c, SenderRules{QoS: 1, Ack: PUBACK}) },
		NewInbound:  func(c Config) Half { return dropDupReceiver{} },
	})
}

// dropDupReceiver is the receiving half. The session around it handles
// the connection (CONNECT/CONNACK, session present and expiry, crashes);
// this receiver keeps no state, so it is a plain value.
type dropDupReceiver struct{}

func (dropDupReceiver) Step(c *Ctx, in *Input, out []Output) []Output {
	if in.Kind == InPacket && in.Packet.Type == PUBLISH {
		if !in.Packet.Dup {
			out = Deliver(out, in.Packet.Msg)
		}
		// Acknowledge every PUBLISH [MQTT-4.3.2-4], or the sender would
		// resend it at every reconnect.
		return Send(out, Packet{Type: PUBACK, ID: in.Packet.ID})
	}
	return out
}

func (r dropDupReceiver) Clone() Half                 { return r }
func (dropDupReceiver) AppendKey(dst []byte) []byte   { return dst }
func (dropDupReceiver) Pending(dst []string) []string { return dst }
func (dropDupReceiver) Held() int                     { return 0 }

// --- example variant ends ---
