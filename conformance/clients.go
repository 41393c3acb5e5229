package conformance

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/qoslab/qoslab/model"
)

// ClientImpl is an MQTT client implementation: qoslab's own model client,
// or a real client library.
type ClientImpl struct {
	Name        string // as on the command line: model, paho.golang, paho.mqtt.golang
	Description string
	Versions    []model.Version // the protocol versions it speaks
	start       func(cfg clientConfig) (client, error)
}

// speaks reports whether the implementation speaks version v.
func (c ClientImpl) speaks(v model.Version) bool {
	for _, w := range c.Versions {
		if w == v {
			return true
		}
	}
	return false
}

// clientConfig is what a client of a run is started with.
type clientConfig struct {
	id      string // client identifier, unique to the run
	addr    string // its hop's proxy listener
	version model.Version
	// subscribe is the model's topic filter the client subscribes to, QoS
	// 2 ("": none); topics maps the model's topics to the run's.
	subscribe string
	topics    topics
	// clean makes the client ask for a new session at every connect.
	clean bool
	// report tells the driver what the client's application saw.
	report func(appEvent)
}

// client is one running client.
type client interface {
	// publish hands message ref for the model's topic to the client's API
	// without waiting for the outcome, which comes as an appEvent.
	publish(ref uint32, topic string)
	// close stops the client and every goroutine it started.
	close()
}

// appEvent is something a client's application saw.
type appEvent struct {
	node string
	kind appKind
	ref  uint32
	err  string
}

type appKind uint8

const (
	appDelivered appKind = iota + 1 // a message reached the application
	appCompleted                    // the publish API reported success
	appFailed                       // the publish API reported failure
)

// clientSpec is one client of a run's topology, in the model's topics.
type clientSpec struct {
	node      string // publisher, subscriber, alice, ...
	publishes bool
	topic     string // where it publishes
	subscribe string // the filter it subscribes to ("": none)
}

// Keepalive of every client, in seconds: long enough that no PINGREQ falls
// into a run (they are timing, not protocol, and would make transcripts
// differ).
const keepaliveSeconds = 600

// sessionExpirySeconds is what 5.0 clients ask for: a session that outlives
// the breaks of a run [MQTT-3.1.2-23], and still ends on a shared broker.
const sessionExpirySeconds = 300

// ModelClient is qoslab's own client: the model's client session (QoS 2,
// Method B receiver, lowest-free ids, every choice at its first option) on
// a real TCP socket, encoding with the mochi packets codec. It drives a
// broker exactly as the model's client would.
var ModelClient = ClientImpl{
	Name:        "model",
	Description: "qoslab's model client (the model's QoS 2 session on a real socket)",
	Versions:    []model.Version{model.V5, model.V311},
	start:       startModelClient,
}

// modelClient runs a model client session over TCP.
type modelClient struct {
	cfg  clientConfig
	enc  encoder
	mu   sync.Mutex
	s    *model.Session
	conn net.Conn
	done chan struct{}
	wg   sync.WaitGroup
}

func startModelClient(cfg clientConfig) (client, error) {
	v, err := model.Lookup(shadowVariant)
	if err != nil {
		return nil, err
	}
	mc := model.Config{Mode: model.Stream, Version: cfg.version, Role: model.RoleClient, CleanStart: cfg.clean}
	var in *model.Variant
	if cfg.subscribe != "" {
		in = &v
	}
	s := model.SessionOf(mc, &v, in)
	if cfg.subscribe != "" {
		s.Subscribe(model.Subscription{Filter: cfg.subscribe, QoS: v.QoS})
	}
	c := &modelClient{cfg: cfg, done: make(chan struct{}), s: s,
		enc: encoder{version: cfg.version, clientID: cfg.id, topics: cfg.topics, expirySeconds: sessionExpirySeconds, keepalive: keepaliveSeconds}}
	c.wg.Add(1)
	go c.loop()
	return c, nil
}

// loop connects, reads, and reconnects after every break until closed.
func (c *modelClient) loop() {
	defer c.wg.Done()
	for {
		conn, err := net.DialTimeout("tcp", c.cfg.addr, dialTimeout)
		if err != nil {
			select {
			case <-c.done:
				return
			case <-time.After(5 * time.Millisecond):
				continue
			}
		}
		noDelay(conn)
		c.mu.Lock()
		c.conn = conn
		c.apply(c.s.Step(model.Input{Kind: model.InConnUp}, nil))
		c.mu.Unlock()
		r := bufio.NewReader(conn)
		for {
			raw, err := readFrame(r)
			if err != nil {
				break
			}
			f := decodeFrame(raw, c.cfg.version, c.cfg.topics)
			if f.Err != "" || !modelled(f.Packet.Type) {
				continue
			}
			c.mu.Lock()
			c.apply(c.s.Step(model.Input{Kind: model.InPacket, Packet: f.Packet}, nil))
			c.mu.Unlock()
		}
		c.mu.Lock()
		conn.Close()
		c.conn = nil
		c.apply(c.s.Step(model.Input{Kind: model.InConnDown}, nil))
		c.mu.Unlock()
		select {
		case <-c.done:
			return
		default:
		}
	}
}

// apply carries out the model's outputs.
func (c *modelClient) apply(outs []model.Output) {
	for _, o := range outs {
		switch o.Kind {
		case model.OutSend:
			if raw, err := c.enc.encode(o.Packet); err == nil && c.conn != nil {
				// A write to a broken connection is lost like any
				// packet in flight.
				c.conn.Write(raw)
			}
		case model.OutDeliver:
			c.cfg.report(appEvent{kind: appDelivered, ref: o.Msg.Ref})
		case model.OutComplete:
			c.cfg.report(appEvent{kind: appCompleted, ref: o.Msg.Ref})
		case model.OutAbandon:
			c.cfg.report(appEvent{kind: appFailed, ref: o.Msg.Ref, err: o.Note})
		}
	}
}

func (c *modelClient) publish(ref uint32, topic string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := model.Message{Ref: ref, Topic: topic, Payload: MessagePayload(ref)}
	c.apply(c.s.Step(model.Input{Kind: model.InPublish, Msg: m}, nil))
}

func (c *modelClient) close() {
	close(c.done)
	c.mu.Lock()
	if c.conn != nil {
		c.conn.Close()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// Clients lists the client implementations, the model client first.
func Clients() []ClientImpl {
	return []ClientImpl{ModelClient, PahoGolang, PahoMQTTGolang}
}

// LookupClient finds a client implementation by name.
func LookupClient(name string) (ClientImpl, error) {
	var names []string
	for _, c := range Clients() {
		if c.Name == name {
			return c, nil
		}
		names = append(names, c.Name)
	}
	return ClientImpl{}, fmt.Errorf("client %q: allowed values are %s", name, strings.Join(names, ", "))
}
