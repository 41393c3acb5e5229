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
	// Session events, which a Session gives its halves (drivers never send
	// them): the session continues on a new connection, or it is gone.
	InResume  // retransmit what is unacknowledged [MQTT-4.4.0-1]
	InDiscard // drop the session state: the peer has none, it expired (Timer names the session timer), or a clean start
	InWake    // a packet id the session had reserved is free again: start what waited for one
)

var inNames = [...]string{"", "publish", "packet", "conn-up", "conn-down", "timer", "crash", "restart", "resume", "discard", "wake"}

func (k InKind) String() string {
	if int(k) < len(inNames) {
		return inNames[k]
	}
	return "in" + strconv.Itoa(int(k))
}

// Input is one event delivered to an endpoint.
type Input struct {
	Kind InKind
	// Conn is the connection of the node the input concerns: 0 for an end
	// with one connection, the client's index at a broker.
	Conn   uint8
	Msg    Message // InPublish
	Packet Packet  // InPacket
	Timer  Timer   // InTimer
	// Choice selects among the options of the choices the step makes (see
	// Ctx.Choose): 0 takes the default everywhere.
	Choice uint64
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
	OutChose                          // the step took option Pick of the Options of choice Choice (see Ctx.Choose)
)

var outNames = [...]string{"", "send", "deliver", "complete", "abandon", "set-timer", "cancel-timer", "persist", "chose"}

func (k OutKind) String() string {
	if int(k) < len(outNames) {
		return outNames[k]
	}
	return "out" + strconv.Itoa(int(k))
}

// Output is one thing an endpoint asks its environment to do or to record.
type Output struct {
	Kind OutKind
	// Conn is the connection a send goes out on (0 for an end with one
	// connection), and for other outputs the connection whose session made
	// them.
	Conn   uint8
	Choice ChoiceKind // OutChose
	Pick   uint32     // OutChose: the option taken, 0..Options-1
	Packet Packet     // OutSend
	Msg    Message    // OutDeliver, OutComplete, OutAbandon
	Timer  Timer      // OutSetTimer, OutCancelTimer
	Delay  int64      // OutSetTimer, in ticks
	Note   string     // OutPersist, OutAbandon: why, as a constant string
	// Options is how many options choice Choice had (OutChose).
	Options uint32
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

// Timers carry their owner above the 24 bits of purpose and key: bit 24
// marks a timer of a session's inbound half (a session with both halves
// gives a firing timer to the half that set it), bits 25..31 the connection
// of a broker's session. A one-direction session and a broker's first
// connection leave them clear, so those timers read as they always did.
const (
	timerInbound   Timer = 1 << 24
	timerConnShift       = 25
	timerOwnerMask Timer = 0xff << 24
)
