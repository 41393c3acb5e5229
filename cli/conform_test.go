package cli

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qoslab/qoslab/conformance"
	"github.com/qoslab/qoslab/report"
)

// Bad input to conform: exit 2, one line naming the flag and what is allowed.
func TestConformUsage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	for _, c := range []struct {
		args   []string
		phrase string
	}{
		{[]string{"--broker", "nope"}, `--broker: broker "nope": allowed values are mochi, mosquitto`},
		{[]string{"--broker", "tcp://10.1.2.3:1883"}, "is not a loopback address"},
		{[]string{"--broker", "tcp://" + closed}, "unreachable"},
		{[]string{"--client", "hivemq"}, `--client: client "hivemq": allowed values are model, paho.golang, paho.mqtt.golang`},
		{[]string{"--client", ""}, "--client: empty"},
		{[]string{"--mqtt", "4"}, `--mqtt "4": allowed values are 5.0, 3.1.1`},
		{[]string{"--client", "paho.mqtt.golang", "--mqtt", "5.0"}, "no client speaks those versions"},
		{[]string{"--cases", "some"}, `--cases: case set "some": allowed values are coverage, forward, both-ways`},
		{[]string{"--faults", "lose PUBREC#1"}, `use "break after-send PUBREC#1"`},
		{[]string{"--faults", "crash broker at 10"}, "cannot crash a real implementation"},
		{[]string{"--faults", "break sometime"}, "--faults: fault 1"},
		{[]string{"--messages", "3"}, "--messages, --topology and --clean-start set up one schedule"},
		{[]string{"--faults", "", "--messages", "0"}, "--messages 0: allowed 1..1000"},
		{[]string{"--faults", "", "--topology", "ring"}, `--topology: topology "ring": allowed values are broker, pair, self`},
		{[]string{"--faults", "", "--topology", "duplex"}, `--topology: topology "duplex": allowed values are broker, pair, self`},
		{[]string{"--faults", "", "--search", "3"}, "--faults and --search: give one"},
		{[]string{"--cases", "pair", "--search", "3"}, "--cases: not with --faults or --search"},
		{[]string{"--search", "0"}, "--search 0: allowed 1..100000"},
		{[]string{"--seed", "4"}, "--seed and --max-messages belong to --search"},
		{[]string{"--format", "pdf"}, `--format "pdf": allowed values are text, markdown, json, html`},
		{[]string{"--settle", "5s"}, "--settle 5s: allowed 0..1s"},
		{[]string{"extra"}, `conform: unexpected argument "extra"`},
	} {
		out, errOut, code := runArgs(t, append([]string{"conform"}, c.args...)...)
		if code != 2 || out != "" || !strings.Contains(errOut, c.phrase) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("conform %q: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errOut, c.phrase)
		}
	}
	if !conformance.MosquittoInstalled() {
		_, errOut, code := runArgs(t, "conform", "--broker", "mosquitto")
		if code != 2 || !strings.Contains(errOut, "apt-get install -y mosquitto") {
			t.Errorf("--broker mosquitto without mosquitto: exit %d: %s", code, errOut)
		}
	}
}

// Exit 0 when every run conforms, 1 when one diverged; the report's replay
// line runs the same case to the same verdict.
func TestConformExitStatusAndReplay(t *testing.T) {
	out, errOut, code := runArgs(t, "conform", "--faults", "", "--client", "model", "--mqtt", "5.0")
	if code != 0 || !regexp.MustCompile(`\| no faults \| ok +\|`).MatchString(out) {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	out, _, code = runArgs(t, "conform", "--faults", "break after-send PUBCOMP#1", "--client", "paho.mqtt.golang", "--mqtt", "3.1.1")
	if code != 1 || !strings.Contains(out, "DELIVERY [1]") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	m := regexp.MustCompile(`replay: simulate (.*)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no replay line:\n%s", out)
	}
	again, _, code := runArgs(t, splitCommand(t, m[1])...)
	if code != 1 || again != out {
		t.Errorf("the replay line gave exit %d and a different report:\n%s", code, again)
	}
}

// The commands of docs/conformance.md run, with a broker the test starts
// in place of the one the document assumes on 127.0.0.1:1883.
func TestConformanceDocCommandsRun(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(root, "docs", "conformance.md"))
	if err != nil {
		t.Fatal(err)
	}
	addr, stop, err := conformance.Start(conformance.Mochi)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ran := 0
	for _, block := range shBlockRe.FindAllSubmatch(doc, -1) {
		for _, line := range strings.Split(strings.TrimSpace(string(block[1])), "\n") {
			want := 0
			if m := regexp.MustCompile(`#\s*exit (\d+)`).FindStringSubmatch(line); m != nil {
				want = atoi(t, m[1])
			}
			line = strings.TrimSpace(regexp.MustCompile(`\s+#.*$`).ReplaceAllString(line, ""))
			line = regexp.MustCompile(`\s+>\s*\S+$`).ReplaceAllString(line, "") // "> page.html": the output is not kept
			args, ok := strings.CutPrefix(line, "go run ./cmd/simulate ")
			if !ok {
				t.Fatalf("%q is not a simulate command", line)
			}
			if strings.Contains(args, "--broker mosquitto") && !conformance.MosquittoInstalled() && os.Getenv("QOSLAB_REQUIRE_MOSQUITTO") == "" {
				t.Logf("skipped (mosquitto is not installed): %s", line)
				continue
			}
			args = strings.ReplaceAll(args, "tcp://127.0.0.1:1883", "tcp://"+addr)
			mustRunLine(t, "conformance.md", args, want)
			ran++
		}
	}
	if ran < 3 {
		t.Errorf("ran %d commands", ran)
	}
}

// The matrix in JSON is the results, transcripts and divergences included;
// in markdown, a divergent run's report carries its transcripts as Mermaid.
func TestConformFormats(t *testing.T) {
	out, errOut, code := runArgs(t, "conform", "--faults", "break after-send PUBREC#1", "--client", "model", "--mqtt", "5.0", "--format", "json")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m struct {
		Columns []struct{ Target, Broker, Client string }
		Results []conformance.Result
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(m.Results) != 1 || m.Columns[0].Broker != "mochi" || len(m.Results[0].Transcript) == 0 || len(m.Results[0].Divergences) != 2 ||
		m.Results[0].Divergences[1].Statement != "MQTT-4.3.3-10" || m.Results[0].Verdict != conformance.ProtocolFails {
		t.Errorf("json: %+v", m)
	}
	out, _, _ = runArgs(t, "conform", "--faults", "break after-send PUBREC#1", "--client", "model", "--mqtt", "5.0", "--format", "markdown")
	for _, want := range []string{"| break after-send PUBREC#1 | PROTOCOL [1] |", "```mermaid\nsequenceDiagram", "Replay: `simulate conform --broker mochi"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	// In HTML, one page carries the run: the real transcript beside the
	// model's, and the divergences (TestConformHTMLInBrowser opens it).
	page, err := conformPage()
	if err != nil {
		t.Fatal(err)
	}
	data := regexp.MustCompile(`(?s)<script type="application/json" id="qv-data">(.*?)</script>`).FindSubmatch(page)
	var p report.Matrix
	if data == nil || json.Unmarshal(data[1], &p) != nil || len(p.Runs) != 1 {
		t.Fatalf("html: no page data")
	}
	if d := p.Runs[0]; d.Kind != "conform" || len(d.Sides) != 2 || len(d.Divergences) != 2 || d.Divergences[1].Statement != "MQTT-4.3.3-10" ||
		d.Replay != `simulate conform --broker mochi --client model --mqtt 5.0 --faults "break after-send PUBREC#1"` {
		t.Errorf("html: %+v", d)
	}
}
