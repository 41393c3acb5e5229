package model

import "testing"

// connInput, which the Sender and the QoS 2 receiver ask before calling
// handle, names exactly the inputs handle consumes, whatever the state.
func TestConnInputMatchesHandle(t *testing.T) {
	var inputs []Input
	for k := InKind(0); k <= InRestart+1; k++ {
		inputs = append(inputs, Input{Kind: k})
		for typ := PacketType(0); typ < NumPacketTypes; typ++ {
			inputs = append(inputs, Input{Kind: k, Packet: Packet{Type: typ}})
		}
		for p := uint8(0); p <= TimerSession+1; p++ {
			inputs = append(inputs, Input{Kind: k, Timer: MakeTimer(p, 7)})
		}
	}
	for _, cfg := range []Config{{}, {Role: RoleServer}, {Mode: Datagram}, {SessionExpiryTicks: 50}} {
		for _, c := range []Conn{{}, {Up: true}, {HasSession: true}, {Up: true, HasSession: true}} {
			for _, in := range inputs {
				conn := c
				done, _, _ := conn.handle(&Ctx{Cfg: &cfg}, in, nil)
				if got := connInput(&in); got != done {
					t.Fatalf("config %+v, conn %+v, input %v/%v/%v: connInput %v, handle consumed %v",
						cfg, c, in.Kind, in.Packet.Type, in.Timer, got, done)
				}
			}
		}
	}
}
