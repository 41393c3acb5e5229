package model

// Conn is the connection state of a session: whether the MQTT connection
// is usable now (volatile) and whether a session with the peer exists
// (session state, durable unless Config.Volatile).
type Conn struct {
	Up         bool
	HasSession bool
}

// resume says what an endpoint must do when its connection becomes usable.
type resume uint8

const (
	resumeNone    resume = iota // nothing to do
	resumeKept                  // the session continues: retransmit what is unacknowledged
	resumeDiscard               // start from an empty session, then continue
	resumeExpired               // the session expired while disconnected: drop its state now
	resumeRestart               // the node runs again after a crash: re-arm what the crash disarmed
)

// handle consumes the inputs that are about the connection rather than the
// protocol: transport up/down and the CONNECT/CONNACK handshake. It reports
// whether it consumed the input and what the session must do next.
func (c *Conn) handle(x *Ctx, in Input, out []Output) (bool, resume, []Output) {
	cfg := x.Cfg
	switch in.Kind {
	case InConnDown:
		c.Up = false
		return true, resumeNone, c.armExpiry(cfg, out)
	case InTimer:
		if in.Timer.Purpose() != TimerSession {
			return false, resumeNone, out
		}
		if c.Up || !c.HasSession {
			return true, resumeNone, out
		}
		// Session Expiry Interval passed while disconnected: both ends
		// discard the session state [MQTT-4.1.0-2] [MQTT-3.1.2-23].
		c.HasSession = false
		return true, resumeExpired, out
	case InRestart:
		// A crash disarmed the expiry timer; the session is still
		// disconnected, so its expiry starts again (conservatively late).
		return true, resumeRestart, c.armExpiry(cfg, out)
	case InConnUp:
		if c.expires(cfg) && c.HasSession {
			out = CancelTimer(out, MakeTimer(TimerSession, 0))
		}
		if cfg.Mode == Datagram {
			// A datagram association has no handshake: the session simply
			// continues, as in MQTT-SN after a wake-up.
			c.Up, c.HasSession = true, true
			return true, resumeKept, out
		}
		if cfg.Role == RoleClient {
			// Clean Start 0 asks the server to resume the session, the
			// precondition of every retransmission rule [MQTT-3.1.2-5]
			// [MQTT-3.1.2-4]; Clean Start 1 asks for a new one.
			out = Send(out, Packet{Type: CONNECT, CleanStart: cfg.CleanStart})
		}
		return true, resumeNone, out
	case InPacket:
		switch in.Packet.Type {
		case CONNECT:
			if cfg.Role != RoleServer {
				return true, resumeNone, out
			}
			// Session Present is 1 only when the server still holds state
			// for this client and the client asked to keep it [MQTT-3.2.2-3]
			// [MQTT-3.2.2-2].
			present := c.HasSession && !in.Packet.CleanStart
			c.Up, c.HasSession = true, true
			out = Send(out, Packet{Type: CONNACK, SessionPresent: present})
			if present {
				return true, resumeKept, out
			}
			return true, resumeDiscard, out
		case CONNACK:
			if cfg.Role != RoleClient {
				return true, resumeNone, out
			}
			had := c.HasSession
			c.Up, c.HasSession = true, true
			if had && cfg.CleanStart {
				// A client that asked for a clean start discards its own
				// session as the server does [MQTT-3.1.2-4].
				return true, resumeDiscard, out
			}
			if !had || in.Packet.SessionPresent {
				return true, resumeKept, out
			}
			if cfg.Version == V5 {
				// A client with session state that is told the server has
				// none must discard its own [MQTT-3.2.2-5].
				return true, resumeDiscard, out
			}
			// MQTT 3.1.1 leaves the choice to the client (section 3.2.2.2):
			// by default these models carry on with their session, which is
			// what exposes a server that lost its state.
			out, keep := x.Choose(out, ChooseKeepSession, 2)
			if keep == 1 {
				return true, resumeDiscard, out
			}
			return true, resumeKept, out
		}
	}
	return false, resumeNone, out
}

// connInput reports whether handle consumes in. Endpoints on the hot path
// ask first, so that protocol inputs (most of a run) skip the call and its
// copy of the 120-byte Input.
func connInput(in *Input) bool {
	switch in.Kind {
	case InConnDown, InRestart, InConnUp:
		return true
	case InTimer:
		return in.Timer.Purpose() == TimerSession
	case InPacket:
		return in.Packet.Type == CONNECT || in.Packet.Type == CONNACK
	}
	return false
}

// expires reports whether sessions expire under cfg: MQTT 5.0 with a
// Session Expiry Interval set. MQTT 3.1.1 keeps a Clean Session 0 session
// until the next clean connect.
func (c *Conn) expires(cfg *Config) bool {
	return cfg.Version == V5 && cfg.SessionExpiryTicks > 0
}

// armExpiry starts the session expiry clock when the connection is gone:
// the session outlives the connection only by the expiry interval
// [MQTT-3.1.2-23].
func (c *Conn) armExpiry(cfg *Config, out []Output) []Output {
	if !c.expires(cfg) || c.Up || !c.HasSession {
		return out
	}
	return SetTimer(out, MakeTimer(TimerSession, 0), cfg.SessionExpiryTicks)
}

// crash applies a node crash to the connection state.
func (c *Conn) crash(cfg *Config) {
	c.Up = false
	if cfg.Volatile {
		c.HasSession = false
	}
}

func (c *Conn) appendKey(dst []byte) []byte {
	var b byte
	if c.Up {
		b |= 1
	}
	if c.HasSession {
		b |= 2
	}
	return append(dst, b)
}

func appendU16(dst []byte, v uint16) []byte { return append(dst, byte(v>>8), byte(v)) }

func appendU32(dst []byte, v uint32) []byte {
	return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendU64(dst []byte, v uint64) []byte {
	return appendU32(appendU32(dst, uint32(v>>32)), uint32(v))
}
