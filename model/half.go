package model

// Half is one direction of an MQTT session: the flows of the messages an
// end publishes (its outbound half) or of those it receives (its inbound
// half). A Session owns the connection and gives each half what concerns
// it; a variant is a pair of halves (see Variant).
//
// A half sees:
//   - InPublish (outbound): the application hands over a message;
//   - InPacket: the packets of its direction only; an outbound half gets
//     PUBACK, PUBREC and PUBCOMP, an inbound half PUBLISH and PUBREL;
//   - InTimer: the timers it set;
//   - the session events InResume (the session continues on a new
//     connection: retransmit what is unacknowledged), InDiscard (the session
//     is gone: drop its state), InConnDown, InCrash (drop volatile state, and
//     session state too if Config.Volatile) and InRestart (re-arm timers).
//
// It never sees CONNECT or CONNACK: the session handles those. Ctx says
// whether the connection is usable and makes the choices the specification
// leaves open.
//
// Like an Endpoint, a half is a plain value behind a pointer: Clone gives an
// independent copy and AppendKey a canonical encoding of its whole state.
type Half interface {
	// Step applies one input. The input is the session's: read it, do
	// not keep the pointer or change it.
	Step(c *Ctx, in *Input, out []Output) []Output
	Clone() Half
	AppendKey(dst []byte) []byte
	// Pending appends one line per piece of unfinished business. A line
	// that names a message the half keeps a copy of, for a later delivery
	// or retransmission, names it as "m<ref>" (for example "m3 stored
	// under id 1 until PUBREL").
	Pending(dst []string) []string
	// Held is the number of packet ids or messages kept for received
	// messages: the receiver-state figure the properties bound. Outbound
	// halves return 0.
	Held() int
}

// HalfCopier is the optional Copier of halves: CopyFrom makes the receiver
// an independent copy of src, reusing its buffers, and reports false if src
// is of another kind.
type HalfCopier interface {
	CopyFrom(src Half) bool
}

// IDUser is implemented by halves that allocate packet identifiers: the
// session asks it before it takes an id of the same space for SUBSCRIBE
// [MQTT-2.2.1-3].
type IDUser interface {
	InUse(id uint16) bool
}

// Ctx is what a half may know of its session while it steps.
type Ctx struct {
	Cfg *Config
	// Up says whether the connection is usable: after CONNACK on a stream,
	// always in datagram mode while the node runs.
	Up bool
	// Reserved is a packet id the session uses for a SUBSCRIBE in flight:
	// not free for a PUBLISH of the same direction [MQTT-2.2.1-3].
	Reserved uint16
	choice   uint64
}

// Choose makes one of the choices the specification leaves open: it returns
// an option in 0..n-1, option 0 being the model's default behaviour. A
// closed choice (see Config.Choices) or one with a single option returns 0
// and records nothing; an open one appends an OutChose output naming the
// choice, the number of options and the option taken, so that drivers can
// see and enumerate what a step chose (see Outcomes).
//
// The option is the next digit of Input.Choice read as a mixed-radix
// number: a step that chooses twice reads two digits, in the order of its
// calls. A Choice of 0 is the default behaviour throughout.
func (c *Ctx) Choose(out []Output, k ChoiceKind, n int) ([]Output, int) {
	if n <= 1 || !c.Open(k) {
		return out, 0
	}
	pick := int(c.choice % uint64(n))
	c.choice /= uint64(n)
	out, o := grow(out)
	o.Kind, o.Choice, o.Options, o.Pick = OutChose, k, uint32(n), uint32(pick)
	return out, pick
}

// Open reports whether choice k is open in this session's settings.
func (c *Ctx) Open(k ChoiceKind) bool {
	if k == ChooseID {
		return c.Cfg.IDPolicy == AnyFree
	}
	return c.Cfg.Choices.Has(k)
}

// The output helpers below are the vocabulary of a half (and of a variant
// written in another module). Each fills the appended Output in place: an
// Output is large, and building it as a literal first costs a copy of all
// of it for every output of a run.

// Send asks for p to be put on the wire to the peer.
func Send(out []Output, p Packet) []Output {
	out, q := sendSlot(out)
	q.CopyFrom(&p) // not *q = p: see CopyFrom
	return out
}

// sendSlot appends an OutSend and returns its packet, zero, for the
// caller to fill: Send without building the packet on the stack first (see
// Packet.CopyFrom), for the packets of every flow.
func sendSlot(out []Output) ([]Output, *Packet) {
	out, o := grow(out)
	o.Kind = OutSend
	return out, &o.Packet
}

// sendAck is Send of acknowledgement typ (PUBACK, PUBREC, PUBREL, PUBCOMP)
// for id with reason, filled in place (see sendSlot).
func sendAck(out []Output, typ PacketType, id uint16, reason uint8) []Output {
	out, p := sendSlot(out)
	p.Type, p.ID, p.Reason = typ, id, reason
	return out
}

// Deliver hands m to the application: exactly-once is judged here.
func Deliver(out []Output, m Message) []Output {
	out, o := grow(out)
	o.Kind, o.Msg = OutDeliver, m
	return out
}

// Persist records that note was written to session state, which must be
// durable before the next packet leaves.
func Persist(out []Output, note string) []Output {
	out, o := grow(out)
	o.Kind, o.Note = OutPersist, note
	return out
}

// SetTimer (re)arms t to fire after delay ticks.
func SetTimer(out []Output, t Timer, delay int64) []Output {
	out, o := grow(out)
	o.Kind, o.Timer, o.Delay = OutSetTimer, t, delay
	return out
}

// CancelTimer disarms t.
func CancelTimer(out []Output, t Timer) []Output {
	out, o := grow(out)
	o.Kind, o.Timer = OutCancelTimer, t
	return out
}

// Complete reports that the sender's flow for m ended successfully.
func Complete(out []Output, m Message) []Output {
	return outcome(out, OutComplete, m, "")
}

// Abandon reports that the sender stopped tracking m without success, and
// why (a constant string).
func Abandon(out []Output, m Message, why string) []Output {
	return outcome(out, OutAbandon, m, why)
}

// outcome reports the end of the sender's flow for m: OutComplete or
// OutAbandon, with why.
func outcome(out []Output, kind OutKind, m Message, note string) []Output {
	out, o := grow(out)
	o.Kind, o.Msg, o.Note = kind, m, note
	return out
}

// grow appends a zero Output and returns it for filling in. With room
// left, it clears the slot in place rather than through append.
func grow(out []Output) ([]Output, *Output) {
	if n := len(out); n < cap(out) {
		out = out[:n+1]
		o := &out[n]
		*o = Output{}
		return out, o
	}
	out = append(out, Output{})
	return out, &out[len(out)-1]
}
