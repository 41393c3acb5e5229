package conformance

import (
	"bufio"
	"errors"
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
	id        string // client identifier, unique to the run
	addr      string // its hop's proxy listener
	version   model.Version
	subscribe []Filter
	// report tells the driver what the client's application saw.
	report func(appEvent)
}

// client is one running client.
type client interface {
	// publish hands message ref for topic to the client's API without
	// waiting for the outcome, which comes as an appEvent.
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

// clientSpec is one client of a run's topology.
type clientSpec struct {
	node      string // publisher, subscriber, ...
	publishes bool
	topic     string   // where it publishes
	subscribe []Filter // what it subscribes to
}

// Keepalive of every client, in seconds: long enough that no PINGREQ falls
// into a run (they are timing, not protocol, and would make transcripts
// differ).
const keepaliveSeconds = 600

// sessionExpirySeconds is what 5.0 clients ask for: a session that outlives
// the breaks of a run [MQTT-3.1.2-23], and still ends on a shared broker.
const sessionExpirySeconds = 300

// ModelClient is qoslab's own client: the model's endpoints (QoS 2, Method
// B receiver, lowest-free ids) on a real TCP socket, encoding with the mochi
// packets codec. It drives a broker exactly as the model's client would.
var ModelClient = ClientImpl{
	Name:        "model",
	Description: "qoslab's model client (the model's QoS 2 endpoints on a real socket)",
	Versions:    []model.Version{model.V5, model.V311},
	start:       startModelClient,
}

// modelClient runs the model's client endpoints over TCP.
type modelClient struct {
	cfg  clientConfig
	enc  encoder
	mu   sync.Mutex
	s    session
	conn net.Conn
	done chan struct{}
	wg   sync.WaitGroup
	sub  uint16 // packet id of its SUBSCRIBE (outside today's model)
}

func startModelClient(cfg clientConfig) (client, error) {
	v, err := model.Lookup("qos2-b")
	if err != nil {
		return nil, err
	}
	mc := model.Config{Mode: model.Stream, Version: cfg.version, Role: model.RoleClient}
	c := &modelClient{cfg: cfg, done: make(chan struct{}),
		enc: encoder{version: cfg.version, clientID: cfg.id, expirySeconds: sessionExpirySeconds, keepalive: keepaliveSeconds},
		s:   session{out: v.NewSender(mc)}}
	if len(cfg.subscribe) > 0 {
		c.s.in = v.NewReceiver(mc)
	}
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
		c.apply(c.s.step(model.Input{Kind: model.InConnUp}))
		c.mu.Unlock()
		r := bufio.NewReader(conn)
		for {
			raw, err := readFrame(r)
			if err != nil {
				break
			}
			f := decodeFrame(raw, c.cfg.version)
			c.mu.Lock()
			c.receive(&f)
			c.mu.Unlock()
		}
		c.mu.Lock()
		conn.Close()
		c.conn = nil
		c.apply(c.s.step(model.Input{Kind: model.InConnDown}))
		c.mu.Unlock()
		select {
		case <-c.done:
			return
		default:
		}
	}
}

// receive steps the model with one frame from the broker.
func (c *modelClient) receive(f *Frame) {
	if f.Err != "" || !modelled(f.Packet.Type) {
		return
	}
	c.apply(c.s.step(model.Input{Kind: model.InPacket, Packet: f.Packet}))
	if f.Packet.Type == model.CONNACK && !f.Packet.SessionPresent && len(c.cfg.subscribe) > 0 {
		// A new session has no subscriptions: subscribe (today's model
		// has no SUBSCRIBE; the broker's routing is configured instead).
		c.sub++
		for _, fl := range c.cfg.subscribe {
			if raw, err := c.enc.subscribe(c.sub, fl); err == nil {
				c.write(raw)
			}
		}
	}
}

// apply carries out the model's outputs.
func (c *modelClient) apply(outs []model.Output) {
	for _, o := range outs {
		switch o.Kind {
		case model.OutSend:
			raw, err := c.enc.encode(o.Packet)
			if err == nil {
				c.write(raw)
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

// write puts a frame on the socket; a write to a broken connection is lost
// like any packet in flight.
func (c *modelClient) write(raw []byte) {
	if c.conn != nil {
		c.conn.Write(raw)
	}
}

func (c *modelClient) publish(ref uint32, topic string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := model.Message{Ref: ref, Topic: topic, Payload: MessagePayload(ref)}
	c.apply(c.s.step(model.Input{Kind: model.InPublish, Msg: m}))
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

// errClosed is returned by a publish on a stopped client.
var errClosed = errors.New("client stopped")
