package model

import "strconv"

// InKind says what happened to an endpoint.
type InKind uint8

// Inputs an endpoint reacts to.
const (
	InPublish  InKind = iota + 1 // the application hands over Msg for sending
	InPacket                     // Packet arrived from the peer
	InConnUp                     // the transport to the peer is up (TCP connected, or a datagram association)
	InConnDown                   // the transport is gone; whatever was in flight is lost
	InTimer                      // Timer fired
	InCrash                      // the node crashed: volatile state is lost, session state too unless durable
	InRestart                    // the node runs again after a crash
)

var inNames = [...]string{"", "publish", "packet", "conn-up", "conn-down", "timer", "crash", "restart"}

func (k InKind) String() string {
	if int(k) < len(inNames) {
		return inNames[k]
	}
	return "in" + strconv.Itoa(int(k))
}

// Input is one event delivered to an endpoint.
type Input struct {
	Kind   InKind
	Msg    Message // InPublish
	Packet Packet  // InPacket
	Timer  Timer   // InTimer
}

// OutKind says what an endpoint wants done.
type OutKind uint8

// Outputs an endpoint produces.
const (
	OutSend        OutKind = iota + 1 // put Packet on the wire to the peer
	OutDeliver                        // hand Msg to the application (exactly-once is judged here)
	OutComplete                       // the sender's flow for Msg ended successfully: it forgets the message
	OutAbandon                        // the sender stopped tracking Msg without success (retry limit, refused, session lost)
	OutSetTimer                       // (re)arm Timer to fire after Delay ticks, replacing an armed one
	OutCancelTimer                    // disarm Timer
	OutPersist                        // Note was written to session state; it must be durable before the next send
)

var outNames = [...]string{"", "send", "deliver", "complete", "abandon", "set-timer", "cancel-timer", "persist"}

func (k OutKind) String() string {
	if int(k) < len(outNames) {
		return outNames[k]
	}
	return "out" + strconv.Itoa(int(k))
}

// Output is one thing an endpoint asks its environment to do or to record.
type Output struct {
	Kind   OutKind
	Packet Packet  // OutSend
	Msg    Message // OutDeliver, OutComplete, OutAbandon
	Timer  Timer   // OutSetTimer, OutCancelTimer
	Delay  int64   // OutSetTimer, in ticks
	Note   string  // OutPersist, OutAbandon: why, as a constant string
}

// Timer names one timer of an endpoint: its purpose and the packet id it guards.
type Timer uint32

// Timer purposes.
const (
	TimerRetry   uint8 = 1 // retransmit the unacknowledged packet of an id (datagram mode)
	TimerExpiry  uint8 = 2 // forget a de-duplication entry (TTL stores)
	TimerSession uint8 = 3 // MQTT 5.0: the session expires while disconnected
)

// MakeTimer builds the Timer for a purpose and a key (usually a packet id).
func MakeTimer(purpose uint8, key uint16) Timer { return Timer(uint32(purpose)<<16 | uint32(key)) }

// Purpose is the purpose the timer was made with.
func (t Timer) Purpose() uint8 { return uint8(t >> 16) }

// Key is the packet id or store key the timer guards.
func (t Timer) Key() uint16 { return uint16(t) }

func (t Timer) String() string {
	name := "timer"
	switch t.Purpose() {
	case TimerRetry:
		name = "retry"
	case TimerExpiry:
		name = "expiry"
	case TimerSession:
		name = "session"
	}
	return name + "(" + strconv.Itoa(int(t.Key())) + ")"
}

// Outputs helpers keep variant code short. They fill the new element in
// place: an Output is 144 bytes, and building it as a literal first costs
// a copy of all of it for every output of a run.
func send(out []Output, p Packet) []Output {
	out, o := grow(out)
	o.Kind, o.Packet = OutSend, p
	return out
}

func deliver(out []Output, m Message) []Output {
	out, o := grow(out)
	o.Kind, o.Msg = OutDeliver, m
	return out
}

func persist(out []Output, note string) []Output {
	out, o := grow(out)
	o.Kind, o.Note = OutPersist, note
	return out
}

func setTimer(out []Output, t Timer, delay int64) []Output {
	out, o := grow(out)
	o.Kind, o.Timer, o.Delay = OutSetTimer, t, delay
	return out
}

func cancelTimer(out []Output, t Timer) []Output {
	out, o := grow(out)
	o.Kind, o.Timer = OutCancelTimer, t
	return out
}

// outcome reports the end of the sender's flow for m: OutComplete or
// OutAbandon, with why.
func outcome(out []Output, kind OutKind, m Message, note string) []Output {
	out, o := grow(out)
	o.Kind, o.Msg, o.Note = kind, m, note
	return out
}

// grow appends a zero Output and returns it for filling in.
func grow(out []Output) ([]Output, *Output) {
	out = append(out, Output{})
	return out, &out[len(out)-1]
}
