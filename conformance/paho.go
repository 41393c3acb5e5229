package conformance

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/qoslab/qoslab/model"
)

// The real client libraries, each set up as its documentation says for
// QoS 2 across breaks: a persistent session kept in memory and automatic
// reconnection, retrying at once (the proxy decides when a reconnect
// carries frames, so waiting only slows a run).

// reconnectDelay is how long a library waits before it reconnects.
const reconnectDelay = 2 * time.Millisecond

// clientTimeout is how long a library waits for a CONNACK. The lockstep
// holds every frame until the system is quiet, which on a loaded machine
// can take seconds: a library's own timeout must not fire first (it
// would close a connection the schedule did not break).
const clientTimeout = time.Minute

// PahoGolang is github.com/eclipse/paho.golang's autopaho (MQTT 5.0).
var PahoGolang = ClientImpl{
	Name:        "paho.golang",
	Description: "github.com/eclipse/paho.golang v0.23.0 autopaho (MQTT 5.0; in-memory session, automatic reconnect)",
	Versions:    []model.Version{model.V5},
	start:       startAutopaho,
}

type autopahoClient struct {
	cfg    clientConfig
	cm     *autopaho.ConnectionManager
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startAutopaho(cfg clientConfig) (client, error) {
	u, err := url.Parse("mqtt://" + cfg.addr)
	if err != nil {
		return nil, err
	}
	c := &autopahoClient{cfg: cfg}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	expiry := uint32(sessionExpirySeconds)
	if cfg.clean {
		expiry = 0 // the session ends with the connection
	}
	ac := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		KeepAlive:                     keepaliveSeconds,
		SessionExpiryInterval:         expiry,
		CleanStartOnInitialConnection: cfg.clean,
		// autopaho asks for Clean Start on the first connection only; a
		// clean client asks at every one.
		ConnectPacketBuilder: func(c *paho.Connect, _ *url.URL) (*paho.Connect, error) {
			c.CleanStart = c.CleanStart || cfg.clean
			return c, nil
		},
		ReconnectBackoff: func(int) time.Duration { return reconnectDelay },
		ConnectTimeout:   clientTimeout,
		OnConnectionUp: func(cm *autopaho.ConnectionManager, ca *paho.Connack) {
			if cfg.subscribe == "" || ca.SessionPresent {
				return // a resumed session keeps its subscriptions [MQTT-3.2.2-3]
			}
			sub := &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: cfg.topics.real(cfg.subscribe), QoS: 2}}}
			c.wg.Add(1)
			go func() { // OnConnectionUp must not block
				defer c.wg.Done()
				cm.Subscribe(c.ctx, sub)
			}()
		},
		ClientConfig: paho.ClientConfig{
			ClientID: cfg.id,
			// A Publish call waits for its flow across reconnects: the
			// session keeps it, and the run decides when to stop.
			PacketTimeout: time.Hour,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
				cfg.report(appEvent{kind: appDelivered, ref: messageRef(pr.Packet.Payload)})
				return true, nil
			}},
		},
	}
	cm, err := autopaho.NewConnection(c.ctx, ac)
	if err != nil {
		c.cancel()
		return nil, err
	}
	c.cm = cm
	return c, nil
}

func (c *autopahoClient) publish(ref uint32, topic string) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		resp, err := c.cm.Publish(c.ctx, &paho.Publish{QoS: 2, Topic: c.cfg.topics.real(topic), Payload: []byte(MessagePayload(ref))})
		if err != nil {
			c.cfg.report(appEvent{kind: appFailed, ref: ref, err: err.Error()})
			return
		}
		if resp != nil && resp.ReasonCode >= 0x80 && resp.ReasonCode != 0x92 {
			// A QoS 2 flow ended by a refusing PUBREC returns no error,
			// only the reason code, which an application must check.
			// PUBCOMP's 0x92 (Packet Identifier not found) is "not an
			// error during recovery" (MQTT 5.0 table 3-10), and no PUBREC
			// carries it: the flow completed.
			c.cfg.report(appEvent{kind: appFailed, ref: ref, err: fmt.Sprintf("reason code 0x%x", resp.ReasonCode)})
			return
		}
		c.cfg.report(appEvent{kind: appCompleted, ref: ref})
	}()
}

func (c *autopahoClient) close() {
	c.cancel()
	select {
	case <-c.cm.Done():
	case <-time.After(dialTimeout):
	}
	c.wg.Wait()
}

// PahoMQTTGolang is github.com/eclipse/paho.mqtt.golang (MQTT 3.1.1).
var PahoMQTTGolang = ClientImpl{
	Name:        "paho.mqtt.golang",
	Description: "github.com/eclipse/paho.mqtt.golang v1.5.1 (MQTT 3.1.1; CleanSession false, memory store, auto-reconnect)",
	Versions:    []model.Version{model.V311},
	start:       startPahoMQTT,
}

type pahoMQTTClient struct {
	cfg clientConfig
	c   mqtt.Client
	wg  sync.WaitGroup
	mu  sync.Mutex
	// subscribed is set once the first connection subscribed: a resumed
	// session keeps the subscription, and the handler stays registered.
	subscribed bool
}

func startPahoMQTT(cfg clientConfig) (client, error) {
	p := &pahoMQTTClient{cfg: cfg}
	handler := func(_ mqtt.Client, m mqtt.Message) {
		cfg.report(appEvent{kind: appDelivered, ref: messageRef(m.Payload())})
	}
	opts := mqtt.NewClientOptions().AddBroker("tcp://" + cfg.addr).SetClientID(cfg.id).
		SetProtocolVersion(4).SetCleanSession(cfg.clean).SetStore(mqtt.NewMemoryStore()).
		SetAutoReconnect(true).SetMaxReconnectInterval(reconnectDelay).
		SetConnectRetry(true).SetConnectRetryInterval(reconnectDelay).SetConnectTimeout(clientTimeout).
		SetKeepAlive(keepaliveSeconds * time.Second).SetDefaultPublishHandler(handler).
		SetOnConnectHandler(func(c mqtt.Client) {
			p.mu.Lock()
			first := !p.subscribed
			p.subscribed = true
			p.mu.Unlock()
			if (!first && !cfg.clean) || cfg.subscribe == "" {
				return
			}
			c.Subscribe(cfg.topics.real(cfg.subscribe), 2, handler) // the SUBACK is seen by the proxy
		})
	p.c = mqtt.NewClient(opts)
	p.c.Connect() // with ConnectRetry the token completes once connected; nothing waits on it
	return p, nil
}

func (p *pahoMQTTClient) publish(ref uint32, topic string) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := p.c.Publish(p.cfg.topics.real(topic), 2, false, MessagePayload(ref))
		t.Wait()
		if err := t.Error(); err != nil {
			p.cfg.report(appEvent{kind: appFailed, ref: ref, err: err.Error()})
			return
		}
		p.cfg.report(appEvent{kind: appCompleted, ref: ref})
	}()
}

func (p *pahoMQTTClient) close() {
	p.c.Disconnect(0)
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(dialTimeout):
		// A publish token still waiting for its flow after Disconnect;
		// the library completes it only when the session ends.
	}
}
