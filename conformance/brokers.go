package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/packets"
)

// BrokerImpl is a broker the harness can run a schedule against.
type BrokerImpl struct {
	Name        string // as on the command line
	Description string
	// external brokers run in a process of their own: the harness sees
	// whether it runs, not what it still has to write, so it waits longer
	// for quiet (mosquitto can take a main-loop turn to write an answer).
	external bool
	// start brings up a broker for one run and returns its address.
	start func() (running, error)
}

// running is a broker serving one run.
type running interface {
	addr() string
	// pids are processes whose activity the quiescence check watches.
	pids() []int
	stop() error
}

// Mochi is the embedded github.com/mochi-mqtt/server/v2 broker: nothing to
// install. Each run gets a fresh broker on a loopback port.
var Mochi = BrokerImpl{
	Name:        "mochi",
	Description: "embedded github.com/mochi-mqtt/server/v2 v2.7.9",
	start:       func() (running, error) { return startMochi(nil) },
}

// Faulty brokers: mochi with a hook that breaks one QoS 2 rule on purpose,
// so that the harness shows it catches what it claims to.
var (
	// MochiForgetsID forgets the packet ids of inbound QoS 2 flows when
	// a connection breaks: a PUBLISH resent after the break then looks
	// new, and is forwarded again.
	MochiForgetsID = BrokerImpl{
		Name:        "mochi+forget-inbound-id",
		Description: "mochi with a hook that drops held inbound QoS 2 ids at every disconnect (faulty on purpose)",
		start:       func() (running, error) { return startMochi(&forgetInboundIDs{}) },
	}
	// MochiResendsPublish resends the PUBLISH of an outbound QoS 2 flow
	// that had reached PUBREL, instead of the PUBREL.
	MochiResendsPublish = BrokerImpl{
		Name:        "mochi+publish-after-pubrel",
		Description: "mochi with a hook that resends PUBLISH instead of PUBREL after a break (faulty on purpose)",
		start:       func() (running, error) { return startMochi(&publishAfterPubrel{}) },
	}
)

// mochiBroker is an embedded mochi server fed by a loopback listener.
type mochiBroker struct {
	srv   *mqtt.Server
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func startMochi(hook mqtt.Hook) (running, error) {
	srv := mqtt.New(&mqtt.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, err
	}
	if hook != nil {
		if err := srv.AddHook(hook, nil); err != nil {
			return nil, err
		}
	}
	if err := srv.Serve(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, err
	}
	b := &mochiBroker{srv: srv, ln: ln}
	b.wg.Add(1)
	go b.accept()
	return b, nil
}

func (b *mochiBroker) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns = append(b.conns, c)
		b.mu.Unlock()
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.srv.EstablishConnection("conform", c)
		}()
	}
}

func (b *mochiBroker) addr() string { return b.ln.Addr().String() }
func (b *mochiBroker) pids() []int  { return nil }

// stop closes the sockets first: mochi's Close waits for every attached
// connection to end.
func (b *mochiBroker) stop() error {
	b.ln.Close()
	b.mu.Lock()
	for _, c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
	return b.srv.Close()
}

// forgetInboundIDs deletes the PUBREC entries (inbound QoS 2 flows waiting
// for PUBREL) from a client's inflight table when its connection ends.
type forgetInboundIDs struct{ mqtt.HookBase }

func (h *forgetInboundIDs) ID() string { return "forget-inbound-id" }

func (h *forgetInboundIDs) Provides(b byte) bool { return b == mqtt.OnDisconnect }

func (h *forgetInboundIDs) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	for _, pk := range cl.State.Inflight.GetAll(false) {
		if pk.FixedHeader.Type == packets.Pubrec {
			cl.State.Inflight.Delete(pk.PacketID)
		}
	}
}

// publishAfterPubrel remembers every PUBLISH the broker sends and, when a
// connection ends, puts it back in place of the PUBREL of its flow, so the
// resume resends the message.
type publishAfterPubrel struct {
	mqtt.HookBase
	mu   sync.Mutex
	sent map[string]map[uint16]packets.Packet
}

func (h *publishAfterPubrel) ID() string { return "publish-after-pubrel" }

func (h *publishAfterPubrel) Provides(b byte) bool {
	return b == mqtt.OnDisconnect || b == mqtt.OnPacketSent
}

func (h *publishAfterPubrel) OnPacketSent(cl *mqtt.Client, pk packets.Packet, _ []byte) {
	if pk.FixedHeader.Type != packets.Publish || pk.FixedHeader.Qos != 2 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sent == nil {
		h.sent = map[string]map[uint16]packets.Packet{}
	}
	if h.sent[cl.ID] == nil {
		h.sent[cl.ID] = map[uint16]packets.Packet{}
	}
	h.sent[cl.ID][pk.PacketID] = pk.Copy(true)
}

func (h *publishAfterPubrel) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, pk := range cl.State.Inflight.GetAll(false) {
		if pk.FixedHeader.Type != packets.Pubrel {
			continue
		}
		if pub, ok := h.sent[cl.ID][pk.PacketID]; ok {
			cl.State.Inflight.Set(pub)
		}
	}
}

// Mosquitto is Eclipse Mosquitto from the Debian package, run as a plain
// process on a free loopback port with a configuration the harness writes.
var Mosquitto = BrokerImpl{
	external:    true,
	Name:        "mosquitto",
	Description: "Eclipse Mosquitto (/usr/sbin/mosquitto, Debian package mosquitto)",
	start:       startMosquitto,
}

// MosquittoPath is where the Debian package installs the broker.
const MosquittoPath = "/usr/sbin/mosquitto"

// ErrNoMosquitto says how to get the broker when it is missing.
var ErrNoMosquitto = errors.New("mosquitto is not installed: apt-get install -y mosquitto (Debian package mosquitto, binary " + MosquittoPath + ")")

// MosquittoInstalled reports whether the mosquitto binary is there.
func MosquittoInstalled() bool {
	_, err := exec.LookPath(MosquittoPath)
	return err == nil
}

type mosquittoBroker struct {
	cmd    *exec.Cmd
	dir    string
	port   int
	stderr *bytes.Buffer
	exited chan struct{}
}

// startMosquitto starts a mosquitto on a free port. Another process may
// take the port between the kernel handing it out and mosquitto binding it;
// mosquitto then exits, and the next port is tried.
func startMosquitto() (running, error) {
	if !MosquittoInstalled() {
		return nil, ErrNoMosquitto
	}
	var err error
	for try := 0; try < 5; try++ {
		var m running
		if m, err = startMosquittoOnce(); err == nil {
			return m, nil
		}
	}
	return nil, err
}

func startMosquittoOnce() (running, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "qoslab-mosquitto-")
	if err != nil {
		return nil, err
	}
	conf := strings.Join([]string{
		"listener " + strconv.Itoa(port) + " 127.0.0.1",
		"allow_anonymous true",
		"persistence false",
		// Deliver every queued message of a run; the defaults would not
		// limit a few messages anyway.
		"max_queued_messages 0",
		"log_dest stderr",
		"log_type error",
		"log_type warning",
	}, "\n") + "\n"
	path := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	m := &mosquittoBroker{dir: dir, port: port, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	m.cmd = exec.Command(MosquittoPath, "-c", path)
	m.cmd.Stderr = m.stderr
	if err := m.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting mosquitto: %w", err)
	}
	go func() { m.cmd.Wait(); close(m.exited) }()
	err = waitListening(m.addr(), m.exited, 5*time.Second)
	if err == nil {
		// What answered may be another process on the same port, and
		// ours about to exit on "address in use": give it the time.
		select {
		case <-m.exited:
			err = errors.New("the process exited")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err != nil {
		m.stop()
		return nil, fmt.Errorf("mosquitto did not start listening on %s: %v (stderr: %s)", m.addr(), err, strings.TrimSpace(m.stderr.String()))
	}
	return m, nil
}

func (m *mosquittoBroker) addr() string { return "127.0.0.1:" + strconv.Itoa(m.port) }
func (m *mosquittoBroker) pids() []int  { return []int{m.cmd.Process.Pid} }

func (m *mosquittoBroker) stop() error {
	m.cmd.Process.Signal(os.Interrupt)
	select {
	case <-m.exited:
	case <-time.After(3 * time.Second):
		m.cmd.Process.Kill()
		<-m.exited
	}
	return os.RemoveAll(m.dir)
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitListening polls until addr accepts connections, the process exits or
// the time is up.
func waitListening(addr string, exited <-chan struct{}, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("the process exited")
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}

// AddressBroker is any broker already listening at addr (host:port on
// loopback). Runs share it, so each run uses client ids and topics of its
// own.
func AddressBroker(addr string) BrokerImpl {
	return BrokerImpl{
		external:    true,
		Name:        "tcp://" + addr,
		Description: "the broker at " + addr,
		start:       func() (running, error) { return external(addr), nil },
	}
}

type external string

func (e external) addr() string { return string(e) }
func (e external) pids() []int  { return nil }
func (e external) stop() error  { return nil }

// Start brings up a broker outside a run, for a test or a user who wants
// one of the named brokers to point another tool at. stop ends it.
func Start(b BrokerImpl) (addr string, stop func() error, err error) {
	r, err := b.start()
	if err != nil {
		return "", nil, err
	}
	return r.addr(), r.stop, nil
}

// Brokers lists the named brokers.
func Brokers() []BrokerImpl {
	return []BrokerImpl{Mochi, Mosquitto, MochiForgetsID, MochiResendsPublish}
}

// LookupBroker finds a broker by name, or makes one of tcp://host:port. The
// address must be a loopback one: the harness breaks connections on
// purpose and never points at a machine it does not own.
func LookupBroker(name string) (BrokerImpl, error) {
	for _, b := range Brokers() {
		if b.Name == name {
			return b, nil
		}
	}
	if addr, ok := strings.CutPrefix(name, "tcp://"); ok {
		if err := loopbackAddr(addr); err != nil {
			return BrokerImpl{}, err
		}
		return AddressBroker(addr), nil
	}
	var names []string
	for _, b := range Brokers() {
		names = append(names, b.Name)
	}
	return BrokerImpl{}, fmt.Errorf("broker %q: allowed values are %s, or tcp://HOST:PORT on loopback", name, strings.Join(names, ", "))
}

// loopbackAddr accepts host:port where host is a loopback IP or localhost.
func loopbackAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("broker address %q: want tcp://HOST:PORT (%v)", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("broker address %q: port %q: want 1..65535", addr, port)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("broker address %q: host %q is not a loopback address (127.0.0.0/8, ::1, localhost); the harness breaks connections on purpose and only does so on this machine", addr, host)
	}
	return nil
}

// Reachable checks that a broker accepts TCP connections, within seconds.
func Reachable(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return fmt.Errorf("broker at %s unreachable: %v", addr, err)
	}
	return c.Close()
}
