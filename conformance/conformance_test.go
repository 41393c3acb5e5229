package conformance

import (
	"bufio"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
)

// pin is a run whose outcome is known: its verdict and, in order, each
// divergence as "class node statement".
type pin struct {
	broker  BrokerImpl
	client  ClientImpl
	v       model.Version
	c       Case
	verdict Verdict
	divs    []string
}

func one(faults string) Case { return Case{Faults: mustSchedule(faults), Messages: 1} }

// signature is a result's divergences as the pins write them.
func signature(r *Result) []string {
	var s []string
	for _, d := range r.Divergences {
		s = append(s, d.Class.String()+" "+d.Node+" "+d.Statement)
	}
	return s
}

// The findings this harness is for, pinned: real implementations on the
// answer's break points, and brokers faulty on purpose caught with the right
// class. The oracle is the model's sessions with every choice open: a real
// implementation taking another permitted option (repeating PUBREC on
// resume, PUBCOMP 0x00 for an id it no longer holds, another free packet
// id) is a permitted difference, not a failure.
func TestFindings(t *testing.T) {
	const (
		prot  = "protocol violation "
		deliv = "delivery violation "
		cons  = "consequence "
		perm  = "permitted difference "
	)
	pins := []pin{
		// Unmodified broker and libraries, no faults: they conform.
		{Mochi, ModelClient, model.V5, Case{Messages: 1}, Conforms, nil},
		{Mochi, PahoGolang, model.V5, Case{Messages: 3}, Conforms, nil},
		{Mochi, PahoMQTTGolang, model.V311, Case{Messages: 3}, Conforms, nil},
		// Break point 4: the PUBCOMP is lost, the resent PUBREL gets
		// PUBCOMP 0x92, which the library reads as success.
		{Mochi, PahoGolang, model.V5, one("break after-send PUBCOMP#1"), Conforms, nil},
		// mochi repeats PUBREC on resume (a permitted choice) and, under
		// 5.0, refuses the retransmitted PUBLISH of an id it holds with 0x91.
		{Mochi, ModelClient, model.V5, one("break after-send PUBREC#1"), ProtocolFails,
			[]string{perm + "broker MQTT-4.4.0-1", prot + "broker MQTT-4.3.3-10"}},
		{Mochi, ModelClient, model.V311, one("break after-send PUBREC#1"), ConformsWith,
			[]string{perm + "broker MQTT-4.4.0-1"}},
		// ...which paho.golang's Publish reports as a failure of a message
		// that was delivered.
		{Mochi, PahoGolang, model.V5, one("break after-send PUBREC#1"), DeliveryFails,
			[]string{perm + "broker MQTT-4.4.0-1", prot + "broker MQTT-4.3.3-10", cons + "publisher MQTT-4.3.3-4", deliv + "publisher "}},
		// paho.golang answers a PUBREL for an id it completed with
		// PUBCOMP 0x00 where the model's first option is 0x92.
		{Mochi, PahoGolang, model.V5, one("break after-send PUBCOMP#2"), ConformsWith,
			[]string{perm + "subscriber MQTT-4.3.3-11"}},
		// paho.mqtt.golang resends PUBLISH after PUBREL; the subscriber
		// gets the message twice.
		{Mochi, PahoMQTTGolang, model.V311, one("break after-send PUBCOMP#1"), DeliveryFails,
			[]string{prot + "publisher MQTT-4.3.3-6 (3.1.1: MQTT-4.3.3-1)", cons + "publisher MQTT-4.3.3-4 (3.1.1: MQTT-4.3.3-1)",
				perm + "broker MQTT-2.2.1-3 (3.1.1: MQTT-2.3.1-2)", deliv + "subscriber MQTT-4.3.3-10 (3.1.1: MQTT-4.3.3-2)"}},
		// paho.mqtt.golang delivers a retransmitted PUBLISH of a held id.
		{Mochi, PahoMQTTGolang, model.V311, one("break after-send PUBREC#2"), DeliveryFails,
			[]string{deliv + "subscriber MQTT-4.3.3-10 (3.1.1: MQTT-4.3.3-2)"}},
		// mochi's one inflight table for both directions: the client's id 1
		// deletes the broker's outbound id 1, and the message is lost.
		{Mochi, ModelClient, model.V5, Case{Topology: sim.Pair, Messages: 2, Faults: mustSchedule("break after-send PUBLISH#3")}, DeliveryFails,
			[]string{perm + "broker MQTT-2.2.1-3", perm + "broker MQTT-4.4.0-1", prot + "broker MQTT-4.4.0-1",
				prot + "broker MQTT-4.3.3-10", deliv + "carol MQTT-4.3.3-8"}},
		// Faulty on purpose: caught, with the right class.
		{MochiForgetsID, ModelClient, model.V5, Case{Messages: 1}, Conforms, nil},
		{MochiForgetsID, ModelClient, model.V5, one("break after-send PUBREC#1"), DeliveryFails,
			[]string{prot + "broker MQTT-4.3.3-10", cons + "broker MQTT-4.3.3-4", deliv + "subscriber MQTT-4.3.3-10"}},
		{MochiResendsPublish, ModelClient, model.V5, Case{Messages: 1}, Conforms, nil},
		{MochiResendsPublish, ModelClient, model.V5, one("break after-send PUBCOMP#2"), DeliveryFails,
			[]string{prot + "broker MQTT-4.3.3-6", cons + "broker MQTT-4.3.3-4", deliv + "subscriber MQTT-4.3.3-10"}},
	}
	for _, p := range pins {
		p := p
		name := (Target{p.broker, p.client}).Name() + " " + p.v.String() + " " + CaseLabel(p.c)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, err := Run(Target{Broker: p.broker, Client: p.client}, p.c, Options{Version: p.v})
			if err != nil {
				t.Fatal(err)
			}
			got := signature(r)
			if r.Verdict != p.verdict || strings.Join(got, "|") != strings.Join(p.divs, "|") {
				t.Errorf("verdict %s, divergences:\n  %s\nwant %s:\n  %s\n%s", r.Verdict, strings.Join(got, "\n  "), p.verdict,
					strings.Join(p.divs, "\n  "), strings.Join(r.Transcript.ASCII(), "\n"))
			}
		})
	}
}

// The same schedule gives the same transcript and divergences every time:
// ten repetitions here, five at a time (each the others' load), and ten
// in a child process with GOMAXPROCS=1 while two other processes keep both
// cores busy.
func TestTranscriptsRepeat(t *testing.T) {
	if os.Getenv("QOSLAB_CONFORM_BURN") != "" {
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		}
		return
	}
	child := os.Getenv("QOSLAB_CONFORM_CHILD") != ""
	parallel := 5
	if child {
		parallel = 1
	}
	prints := make([]string, 10)
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for i := range prints {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			prints[i] = repeatFingerprint(t)
		}()
	}
	wg.Wait()
	for i, p := range prints {
		if p != prints[0] {
			t.Fatalf("repetition %d differs:\n%s\nfirst:\n%s", i+1, p, prints[0])
		}
	}
	if child {
		os.Stdout.WriteString("FINGERPRINT\n" + prints[0] + "\nFINGERPRINT\n")
		return
	}
	if testing.Short() {
		return
	}
	var burners []*exec.Cmd
	for i := 0; i < 2; i++ {
		b := exec.Command(os.Args[0], "-test.run=^TestTranscriptsRepeat$")
		b.Env = append(os.Environ(), "QOSLAB_CONFORM_BURN=1")
		if err := b.Start(); err != nil {
			t.Fatal(err)
		}
		burners = append(burners, b)
	}
	defer func() {
		for _, b := range burners {
			b.Process.Kill()
			b.Wait()
		}
	}()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTranscriptsRepeat$")
	cmd.Env = append(os.Environ(), "QOSLAB_CONFORM_CHILD=1", "GOMAXPROCS=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("with GOMAXPROCS=1 beside load: %v\n%s", err, out)
	}
	_, got, _ := strings.Cut(string(out), "FINGERPRINT\n")
	if got, _, _ = strings.Cut(got, "\nFINGERPRINT"); got != prints[0] {
		t.Errorf("with GOMAXPROCS=1 beside load the transcript differs:\n%s\nwant:\n%s", got, prints[0])
	}
}

// repeatFingerprint runs TestTranscriptsRepeat's case: paho.golang on mochi,
// with a break on each leg (one message: mochi resends several held flows
// in an order of its own, sorted by creation second from a map, which no
// lockstep can fix).
func repeatFingerprint(t *testing.T) string {
	r, err := Run(Target{Broker: Mochi, Client: PahoGolang},
		Case{Messages: 1, Faults: mustSchedule("break after-send PUBREC#1; break after-recv PUBREL#2")}, Options{Version: model.V5})
	if err != nil {
		t.Error(err)
		return ""
	}
	return r.Transcript.String() + strings.Join(signature(r), "\n")
}

// hungBroker accepts connections, answers CONNECT and SUBSCRIBE, and then
// never answers anything again: a broker that stops answering.
func hungBroker(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					raw, err := readFrame(r)
					if err != nil {
						return
					}
					switch raw[0] >> 4 {
					case 1: // CONNECT -> CONNACK (3.1.1 form, session not present)
						c.Write([]byte{0x20, 0x02, 0x00, 0x00})
					case 8: // SUBSCRIBE -> SUBACK granting QoS 2
						c.Write([]byte{0x90, 0x03, raw[2], raw[3], 0x02})
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// A broker that stops answering is a divergence with what was pending,
// within bounded time, never a hang.
func TestHungBrokerIsReportedNotWaitedFor(t *testing.T) {
	addr := hungBroker(t)
	start := time.Now()
	r, err := Run(Target{Broker: AddressBroker(addr), Client: ModelClient}, Case{Messages: 1}, Options{Version: model.V311})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != StoppedAnswers || r.Stopped == "" || len(r.Pending) == 0 {
		t.Fatalf("verdict %s, stopped %q, pending %v", r.Verdict, r.Stopped, r.Pending)
	}
	if got := signature(r); len(got) == 0 || got[0] != "protocol violation broker MQTT-4.3.3-10 (3.1.1: MQTT-4.3.3-2)" {
		t.Errorf("divergences %v: want the missing PUBREC first", got)
	}
	if !strings.Contains(strings.Join(r.Pending, "\n"), "waiting for PUBREC") {
		t.Errorf("pending %v lacks the publisher's flow", r.Pending)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
}

// An address nobody listens on is refused within seconds.
func TestUnreachableBroker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	if err := Reachable(addr); err == nil {
		t.Fatalf("%s reachable", addr)
	}
	_, err = Run(Target{Broker: AddressBroker(addr), Client: ModelClient}, Case{Messages: 1}, Options{Version: model.V5})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err %v, want ErrUnreachable", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

// The harness never points at a machine it does not own.
func TestOnlyLoopbackBrokers(t *testing.T) {
	for _, name := range []string{"tcp://10.0.0.1:1883", "tcp://example.com:1883", "tcp://8.8.8.8:1", "tcp://127.0.0.1", "tcp://127.0.0.1:0", "tcp://127.0.0.1:x"} {
		if _, err := LookupBroker(name); err == nil {
			t.Errorf("LookupBroker(%q) accepted", name)
		}
	}
	for _, name := range []string{"tcp://127.0.0.1:1883", "tcp://[::1]:1883", "tcp://localhost:1883", "mochi", "mosquitto"} {
		if _, err := LookupBroker(name); err != nil {
			t.Errorf("LookupBroker(%q): %v", name, err)
		}
	}
}

// Faults the harness cannot apply are refused with what is allowed.
func TestCasesNameWhatIsAllowed(t *testing.T) {
	for faults, want := range map[string]string{
		"lose PUBREC#1":                         `use "break after-send PUBREC#1"`,
		"dup PUBLISH#1":                         "TCP loses packets only when the connection breaks",
		"crash broker at 10":                    "cannot crash a real implementation",
		"crash subscriber after-recv PUBLISH#1": "allowed faults are break",
		"break after-send PUBREC#1 on client":   `on "client": allowed values are the clients [publisher subscriber]`,
	} {
		err := ValidateCase(Case{Faults: mustSchedule(faults), Messages: 1})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", faults, err, want)
		}
	}
}

// The coverage the issue asks for: every break point of the answer on both
// legs, after-send and after-recv; two breaks in one flow; both directions
// of one connection.
func TestCoverage(t *testing.T) {
	seen := map[string]bool{}
	doubles, pair := 0, 0
	for _, c := range Coverage() {
		if err := ValidateCase(c); err != nil {
			t.Errorf("%s: %v", c.Label(), err)
		}
		if c.Topology == sim.Pair || c.Topology == sim.Self {
			pair++
		}
		if len(c.Faults) == 2 {
			doubles++
		}
		seen[c.Faults.String()] = true
	}
	for _, when := range []string{"after-send", "after-recv"} {
		for _, typ := range []string{"PUBLISH", "PUBREC", "PUBREL", "PUBCOMP"} {
			for _, leg := range []string{"1", "2"} {
				if s := "break " + when + " " + typ + "#" + leg; !seen[s] {
					t.Errorf("coverage lacks %s", s)
				}
			}
		}
	}
	if doubles < 2 || pair < 2 {
		t.Errorf("%d double-break and %d pair cases", doubles, pair)
	}
	sc, err := Scenarios()
	if err != nil || len(sc) < 4 {
		t.Fatalf("%d scenarios, %v", len(sc), err)
	}
	a, b := Search(20, 7, 3), Search(20, 7, 3)
	if len(a) != 20 || len(b) != 20 {
		t.Fatalf("search drew %d and %d cases, want 20", len(a), len(b))
	}
	if CaseLabel(a[19]) != CaseLabel(b[19]) {
		t.Errorf("search is not reproducible: %v / %v", a[19], b[19])
	}
	for _, c := range a {
		if err := ValidateCase(c); err != nil {
			t.Errorf("search drew %s: %v", c.Label(), err)
		}
	}
}

// mosquitto from the Debian package, with the model's clients, on every
// break point: it conforms, taking one permitted choice under 5.0 (PUBCOMP
// 0x00 for a PUBREL of an id it released, where the model's first option
// is 0x92).
func TestMosquitto(t *testing.T) {
	if !MosquittoInstalled() {
		if os.Getenv("QOSLAB_REQUIRE_MOSQUITTO") != "" {
			t.Fatal(ErrNoMosquitto)
		}
		t.Skip(ErrNoMosquitto)
	}
	cases := append([]Case{{Messages: 1}}, BreakPoints()...)
	if testing.Short() {
		cases = []Case{{Messages: 1}, one("break after-send PUBREC#1"), one("break after-send PUBCOMP#1"), one("break after-recv PUBLISH#2")}
	}
	m, err := RunMatrix(Columns(Mosquitto, []ClientImpl{ModelClient}, []model.Version{model.V5, model.V311}), cases, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	diverging := map[string]bool{"break after-send PUBCOMP#1": true, "break after-recv PUBREL#1": true}
	for i, c := range cases {
		for j, r := range m.Results[i] {
			want := Conforms
			if m.Columns[j].Version == model.V5 && diverging[c.Label()] {
				want = ConformsWith
				if got := signature(r); len(got) != 1 || got[0] != "permitted difference broker MQTT-4.3.3-11" {
					t.Errorf("%s %s: %v", m.Columns[j].Name(), c.Label(), got)
				}
			}
			if r.Verdict != want {
				t.Errorf("%s %s: %s, want %s: %v", m.Columns[j].Name(), c.Label(), r.Verdict, want, signature(r))
			}
		}
	}
}

// A fault counted on one client's connection matches there, as in the
// simulator: the first PUBLISH on the subscriber's connection is the
// broker's forward, though the run's first PUBLISH is the publisher's.
func TestFaultOnOneConnection(t *testing.T) {
	r, err := Run(Target{Broker: Mochi, Client: ModelClient}, one("break after-send PUBLISH#1 on subscriber"), Options{Version: model.V5})
	if err != nil {
		t.Fatal(err)
	}
	var lost []string
	for _, l := range r.Transcript {
		if l.Kind == LineLost {
			lost = append(lost, l.From+">"+l.To+" "+l.Label)
		}
	}
	if r.Verdict != Conforms || len(r.Unfired) > 0 || len(lost) == 0 || lost[0] != "broker>subscriber PUBLISH id=1 q2 m1" {
		t.Errorf("verdict %s, unfired %v, lost %q", r.Verdict, r.Unfired, lost)
	}
}

// Unfired faults are reported, as the simulator reports them.
func TestUnfiredFaults(t *testing.T) {
	r, err := Run(Target{Broker: Mochi, Client: ModelClient}, one("break after-send PUBREL#9"), Options{Version: model.V5})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != Conforms || len(r.Unfired) != 1 || r.Unfired[0] != "break after-send PUBREL#9" {
		t.Errorf("verdict %s, unfired %v", r.Verdict, r.Unfired)
	}
}
