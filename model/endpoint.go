package model

import (
	"fmt"
	"sort"
	"strings"
)

// Endpoint is what a driver steps: a node's protocol state. A client or a
// server end of one connection is a Session; a broker, one Endpoint for all
// its connections, is a Broker (Input.Conn and Output.Conn say which).
//
// Implementations are plain values behind a pointer; Clone gives an
// independent copy and AppendKey a canonical encoding of the whole state
// (equal states give equal keys), which the exhaustive explorer hashes.
type Endpoint interface {
	// Step applies one input and appends the resulting outputs to out.
	Step(in Input, out []Output) []Output
	// Clone returns a deep copy that shares nothing mutable with the original.
	Clone() Endpoint
	// AppendKey appends a canonical, compact encoding of the state.
	AppendKey(dst []byte) []byte
	// Pending appends one line per piece of unfinished business, for example
	// "id 3 waiting for PUBCOMP (m3)". An endpoint with nothing pending is settled.
	Pending(dst []string) []string
	// Held is the number of packet ids or messages the endpoint stores for
	// messages it received: the receiver-state figure the properties bound.
	Held() int
}

// InputStepper is an optional interface of endpoints: StepInput is Step
// with the input passed by pointer, for drivers that keep their inputs in
// memory of their own (the simulator's queued arrivals): an Input is 128
// bytes, and passing it by value copies it into every Step. The endpoint
// keeps no pointer to *in once StepInput returns, but may change it (a
// Session clears a timer's owner bits). The pointer escapes: point it at
// memory the driver keeps (a local Input would be moved to the heap).
// Session and Broker implement it.
type InputStepper interface {
	StepInput(in *Input, out []Output) []Output
}

// Mode is the transport the protocol runs over.
type Mode uint8

const (
	// Stream is MQTT over TCP: ordered, no per-packet loss; faults are
	// connection breaks, after which the client reconnects and both sides
	// retransmit what is unacknowledged [MQTT-4.4.0-1].
	Stream Mode = iota
	// Datagram is MQTT-SN style: packets are lost, duplicated and reordered
	// independently, and senders retransmit on timers up to a retry limit.
	Datagram
)

func (m Mode) String() string {
	if m == Datagram {
		return "datagram"
	}
	return "stream"
}

// ParseMode reads "stream" or "datagram".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "stream", "":
		return Stream, nil
	case "datagram":
		return Datagram, nil
	}
	return 0, fmt.Errorf("mode %q: allowed values are stream, datagram", s)
}

// Version is the MQTT protocol version whose rules and encodings apply.
type Version uint8

const (
	V5   Version = 0 // MQTT 5.0, the default
	V311 Version = 1 // MQTT 3.1.1
)

func (v Version) String() string {
	if v == V311 {
		return "3.1.1"
	}
	return "5.0"
}

// ParseVersion reads "5", "5.0", "3.1.1" or "311".
func ParseVersion(s string) (Version, error) {
	switch s {
	case "5", "5.0", "v5", "":
		return V5, nil
	case "3.1.1", "311", "v311":
		return V311, nil
	}
	return 0, fmt.Errorf("version %q: allowed values are 5.0, 3.1.1", s)
}

// Role is the endpoint's side of the MQTT connection, independent of whether
// it sends or receives application messages: a broker sends to a subscriber
// while acting as the server.
type Role uint8

const (
	RoleClient Role = iota // opens the connection with CONNECT
	RoleServer             // answers CONNECT with CONNACK
)

func (r Role) String() string {
	if r == RoleServer {
		return "server"
	}
	return "client"
}

// IDPolicy is how a sender picks the packet identifier of a new message.
type IDPolicy uint8

const (
	// LowestFree takes the smallest identifier not in use, as common clients
	// do, so an identifier comes back as soon as its flow completes.
	LowestFree IDPolicy = iota
	// Sequential counts up from the last identifier used and wraps after the
	// top of the space, skipping identifiers still in use.
	Sequential
	// AnyFree takes any identifier not in use [MQTT-2.2.1-3]: a permitted
	// choice (ChooseID) that the explorer branches over and the simulator
	// draws from its seed. Its default option is the lowest free id.
	AnyFree
)

func (p IDPolicy) String() string {
	switch p {
	case Sequential:
		return "sequential"
	case AnyFree:
		return "any"
	}
	return "lowest-free"
}

// ParseIDPolicy reads "lowest-free", "sequential" or "any".
func ParseIDPolicy(s string) (IDPolicy, error) {
	switch s {
	case "lowest-free", "lowest", "":
		return LowestFree, nil
	case "sequential", "seq":
		return Sequential, nil
	case "any":
		return AnyFree, nil
	}
	return 0, fmt.Errorf("id policy %q: allowed values are lowest-free, sequential, any", s)
}

// Config holds the settings of one endpoint. Zero fields get the defaults
// documented on each field; Normalize fills them in.
type Config struct {
	Role     Role
	Mode     Mode
	Version  Version
	IDPolicy IDPolicy
	// IDSpace is the number of usable packet identifiers, 1..IDSpace
	// (default and maximum 65535). Small spaces make id reuse quick to reach.
	IDSpace int
	// ReceiveMax is the peer's Receive Maximum: how many QoS>0 PUBLISH flows
	// may be unacknowledged at once (default 65535) [MQTT-4.9.0-2].
	ReceiveMax int
	// RetryTicks is the datagram-mode retransmission timeout (default 100).
	RetryTicks int64
	// RetryLimit is how often a datagram-mode sender retransmits one packet
	// before it abandons the message (default 10).
	RetryLimit int
	// Volatile makes session state die with a crash; by default it is durable.
	Volatile bool
	// TTLTicks is how long a de-duplication entry lives in stores that
	// expire (0: the variant's default).
	TTLTicks int64
	// StoreCap bounds stores that evict by capacity (0: unbounded).
	StoreCap int
	// SessionExpiryTicks is MQTT 5.0's Session Expiry Interval: how long
	// both ends keep the session after the connection closes. 0 (the
	// default) means the session never expires, like the interval
	// 0xFFFFFFFF; MQTT 3.1.1 has no expiry and ignores it.
	SessionExpiryTicks int64
	// CleanStart makes a client ask for a new session at every connect
	// (Clean Start 1; Clean Session 1 in 3.1.1): both ends discard the
	// session, its unacknowledged flows and its subscriptions included
	// [MQTT-3.1.2-4]. By default a client resumes its session.
	CleanStart bool
	// Choices are the choices the specification leaves open that this
	// end may take either way (see ChoiceKind); the others take the
	// model's default. The packet id choice is opened by IDPolicy AnyFree.
	Choices ChoiceSet
}

// Defaults for zero Config fields.
const (
	DefaultIDSpace    = 65535
	DefaultReceiveMax = 65535
	DefaultRetryTicks = 100
	DefaultRetryLimit = 10
)

// Normalize returns c with defaults in place of zero fields.
func (c Config) Normalize() Config {
	if c.IDSpace == 0 {
		c.IDSpace = DefaultIDSpace
	}
	if c.ReceiveMax == 0 {
		c.ReceiveMax = DefaultReceiveMax
	}
	if c.RetryTicks == 0 {
		c.RetryTicks = DefaultRetryTicks
	}
	if c.RetryLimit == 0 {
		c.RetryLimit = DefaultRetryLimit
	}
	return c
}

// Validate reports the first field outside its allowed range.
func (c Config) Validate() error {
	switch {
	case c.IDSpace < 0 || c.IDSpace > 65535:
		return fmt.Errorf("id space %d: allowed 1..65535", c.IDSpace)
	case c.ReceiveMax < 0 || c.ReceiveMax > 65535:
		return fmt.Errorf("receive maximum %d: allowed 1..65535", c.ReceiveMax)
	case c.RetryTicks < 0:
		return fmt.Errorf("retry ticks %d: must be positive", c.RetryTicks)
	case c.RetryLimit < 0:
		return fmt.Errorf("retry limit %d: must be positive", c.RetryLimit)
	case c.TTLTicks < 0:
		return fmt.Errorf("ttl ticks %d: must not be negative", c.TTLTicks)
	case c.StoreCap < 0:
		return fmt.Errorf("store capacity %d: must not be negative", c.StoreCap)
	case c.SessionExpiryTicks < 0:
		return fmt.Errorf("session expiry ticks %d: must not be negative", c.SessionExpiryTicks)
	case c.IDPolicy > AnyFree:
		return fmt.Errorf("id policy %d: allowed values are lowest-free, sequential, any", c.IDPolicy)
	case c.Choices&^AllChoices != 0:
		return fmt.Errorf("choices %#x: allowed are combinations of %s", uint16(c.Choices), AllChoices)
	}
	return nil
}

// As returns a copy of c for the given connection role.
func (c Config) As(r Role) Config { c.Role = r; return c }

// Variant is one protocol: how its sending and its receiving halves behave.
type Variant struct {
	Name        string            // stable name used on the command line and in tables
	Description string            // one line
	QoS         uint8             // the QoS its PUBLISH packets carry
	NewOutbound func(Config) Half // the sending half: the flows of what an end publishes
	NewInbound  func(Config) Half // the receiving half: the flows of what it receives
	// NewDuplex, when set, is used instead of the two halves for an end
	// that both sends and receives on one connection: one half that takes
	// both directions, as an implementation with a single table of
	// in-flight packet ids is (the bug such a table causes is why this
	// exists). Most variants leave it nil.
	NewDuplex func(Config) Half
	// Hidden keeps the variant out of Variants and Names (the command
	// line's lists): test-only variants such as deliberate mutants. Lookup
	// still finds it.
	Hidden bool
}

// NewSender returns the sending end of a one-way connection running v: a
// Session with v's outbound half only.
func (v Variant) NewSender(cfg Config) Endpoint { return NewSession(cfg, v.NewOutbound(cfg), nil) }

// NewReceiver returns the receiving end of a one-way connection running v:
// a Session with v's inbound half only.
func (v Variant) NewReceiver(cfg Config) Endpoint { return NewSession(cfg, nil, v.NewInbound(cfg)) }

// SessionOf returns an end of a connection that sends with variant out and
// receives with variant in (nil: that direction is not used). An end that
// sends and receives with one variant that has a NewDuplex gets the duplex
// half.
func SessionOf(cfg Config, out, in *Variant) *Session {
	if out != nil && in != nil && out.Name == in.Name && out.NewDuplex != nil {
		return newJointSession(cfg, out.NewDuplex(cfg))
	}
	var o, i Half
	if out != nil {
		o = out.NewOutbound(cfg)
	}
	if in != nil {
		i = in.NewInbound(cfg)
	}
	return NewSession(cfg, o, i)
}

var registry = map[string]Variant{}

// Register adds a variant; it panics on a duplicate or incomplete
// registration, which is a programming error caught at init.
func Register(v Variant) {
	if v.Name == "" || v.NewOutbound == nil || v.NewInbound == nil {
		panic("model.Register: variant needs a name and both halves")
	}
	if _, dup := registry[v.Name]; dup {
		panic("model.Register: variant " + v.Name + " registered twice")
	}
	registry[v.Name] = v
}

// Lookup finds a registered variant by name, hidden ones included.
func Lookup(name string) (Variant, error) {
	if v, ok := registry[name]; ok {
		return v, nil
	}
	return Variant{}, fmt.Errorf("unknown variant %q: allowed values are %s", name, strings.Join(Names(), ", "))
}

// Variants lists the registered variants sorted by name, hidden ones
// excepted.
func Variants() []Variant {
	vs := make([]Variant, 0, len(registry))
	for _, v := range registry {
		if !v.Hidden {
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].Name < vs[j].Name })
	return vs
}

// Names lists the registered variant names, sorted.
func Names() []string {
	vs := Variants()
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Name
	}
	return names
}

// MarshalText writes the mode's name, so configs read well in JSON.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a mode's name.
func (m *Mode) UnmarshalText(b []byte) (err error) { *m, err = ParseMode(string(b)); return err }

// MarshalText writes the version, "5.0" or "3.1.1".
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads a version.
func (v *Version) UnmarshalText(b []byte) (err error) { *v, err = ParseVersion(string(b)); return err }

// MarshalText writes the policy's name.
func (p IDPolicy) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a policy's name.
func (p *IDPolicy) UnmarshalText(b []byte) (err error) {
	*p, err = ParseIDPolicy(string(b))
	return err
}

// MarshalText writes the role's name.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a role's name.
func (r *Role) UnmarshalText(b []byte) error {
	switch string(b) {
	case "client":
		*r = RoleClient
	case "server":
		*r = RoleServer
	default:
		return fmt.Errorf("role %q: allowed values are client, server", b)
	}
	return nil
}
