package conformance

import (
	"bufio"
	"errors"
	"io"
	"net"
	"time"

	"github.com/qoslab/qoslab/model"
)

// The proxy: each client of a run dials its own loopback listener; for
// every connection accepted there the proxy dials the broker and reads
// whole frames from both sockets. It never forwards on its own: the driver
// (lockstep.go) decides when each frame is written to the other side, drops
// the frames a break loses, and closes both sockets to break a connection.
// Both hops are real TCP, so a frame "lost in flight" is one the sender
// wrote and saw succeed, as on a network, and not a write that blocks
// because nobody reads (net.Pipe).

// side is the end of a proxied connection a frame came from.
type side uint8

const (
	fromClient side = iota // written by the client, bound for the broker
	fromBroker             // written by the broker, bound for the client
)

// dialTimeout bounds the proxy's connection to the broker.
const dialTimeout = 3 * time.Second

// hop is one client's path to the broker: its listener and its
// connections, one after another as breaks end them.
type hop struct {
	index int
	node  string // the client's node name in transcripts
	// frames of each type put on the wire and delivered on this hop's
	// connections, for faults counted on its client's connection
	// ("break after-send PUBREC#1 on subscriber")
	sends, recvs [model.NumPacketTypes]int
	ln           net.Listener
	broker       string // the broker's address
	conns        []*pconn
	// reconnectAt is when the next connection carries frames, the last
	// one having broken.
	reconnectAt int64
	// awaiting is set while a connection is expected: the client was
	// started, or broken off and is configured to come back.
	awaiting bool
	// connected and subscribed say a CONNACK or SUBACK reached the client
	// on its current connection (subscribed stays: the session keeps it).
	connected, subscribed bool
}

// pconn is one proxied connection: the client's socket and the one the
// proxy opened to the broker.
type pconn struct {
	hop            *hop
	num            int // 1-based on its hop
	client, broker net.Conn
	version        model.Version
	open           bool
	// queue holds the frames read from each side and not yet released,
	// in the order they were read (TCP keeps order within a direction).
	queue [2][]*item
	// eligibleAt is when the client's frames may start flowing: a
	// reconnect waits out the schedule's reconnect delay.
	eligibleAt int64
	// announced is set once the transcript shows the connection: at its
	// first release, a point the lockstep fixes (the accept is not).
	announced bool
}

// item is one frame read whole from a socket and held by the proxy, or the
// end of a side's stream (the peer closed its socket after the frames
// before it).
type item struct {
	conn    *pconn
	from    side
	frame   Frame
	eof     bool   // the side closed its socket
	eofErr  string // why, when it was not a clean close
	gen     int    // releases done when it was read: the choice function's first key
	seq     int    // read order, the last tie-break
	readyAt int64  // a delay fault holds it until then
	counted bool   // already counted for fault matching (a held, delayed frame)
	divs    []*Divergence
}

// event is what the proxy's goroutines and the clients tell the driver.
type event struct {
	kind eventKind
	conn *pconn
	hop  *hop
	from side
	raw  []byte
	err  error
	app  appEvent
}

type eventKind uint8

const (
	evFrame    eventKind = iota + 1 // a frame was read whole
	evEOF                           // a side closed or failed
	evAccepted                      // a client connected and the proxy reached the broker
	evDialFail                      // a client connected but the broker could not be reached
	evApp                           // an application event from a client
)

// listen opens the hop's loopback listener.
func (h *hop) listen() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	h.ln = ln
	return nil
}

// addr is where the hop's client connects.
func (h *hop) addr() string { return h.ln.Addr().String() }

// accept runs until the listener closes: each client connection gets a
// connection to the broker and two readers.
func (h *hop) accept(events chan<- event, done <-chan struct{}) {
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		b, err := net.DialTimeout("tcp", h.broker, dialTimeout)
		if err != nil {
			c.Close()
			if !send(events, done, event{kind: evDialFail, hop: h, err: err}) {
				return
			}
			continue
		}
		noDelay(c)
		noDelay(b)
		pc := &pconn{hop: h, client: c, broker: b, open: true}
		if !send(events, done, event{kind: evAccepted, hop: h, conn: pc}) {
			c.Close()
			b.Close()
			return
		}
		go read(pc, fromClient, c, events, done)
		go read(pc, fromBroker, b, events, done)
	}
}

// noDelay sends each frame as soon as it is written: the proxy writes whole
// frames, and Nagle's algorithm would only add latency.
func noDelay(c net.Conn) {
	if t, ok := c.(*net.TCPConn); ok {
		t.SetNoDelay(true)
	}
}

// read passes every whole frame of one socket to the driver, then the end
// of the stream.
func read(pc *pconn, from side, c net.Conn, events chan<- event, done <-chan struct{}) {
	r := bufio.NewReader(c)
	for {
		raw, err := readFrame(r)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				err = nil
			}
			send(events, done, event{kind: evEOF, conn: pc, from: from, err: err})
			return
		}
		if !send(events, done, event{kind: evFrame, conn: pc, from: from, raw: raw}) {
			return
		}
	}
}

// send hands an event to the driver unless the run is over.
func send(events chan<- event, done <-chan struct{}, e event) bool {
	select {
	case events <- e:
		return true
	case <-done:
		return false
	}
}

// closeBoth ends a proxied connection: both sockets close, so both ends
// see the connection break, and whatever they write from now on is lost.
func (pc *pconn) closeBoth() {
	pc.open = false
	pc.client.Close()
	pc.broker.Close()
}

// to is the socket a frame from side s is written to.
func (pc *pconn) to(s side) net.Conn {
	if s == fromClient {
		return pc.broker
	}
	return pc.client
}
