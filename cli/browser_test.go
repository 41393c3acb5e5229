package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/qoslab/qoslab/internal/browser"
	"github.com/qoslab/qoslab/report"
)

// The screenshots in docs/images are taken by these tests; go generate
// ./cli takes them again (it needs Chromium).
//go:generate go test -run InBrowser -screenshots

var screenshots = flag.Bool("screenshots", false, "write the browser tests' screenshots into docs/images")

const docImages = "../docs/images"

// The pictures in the docs: a report of break point 2 of the answer, at
// the step where the client learns that its session resumed, and the
// explorer where the connection broke after the server delivered m1 and
// the PUBLISH resent on the resumed session reaches it again (held id 1:
// no second delivery).
var (
	reportShot = []string{"run", "--messages", "2", "--faults", "break after-send PUBREC#1", "--format", "html"}
	serveShot  = "variant=qos2-b&messages=2&breaks=1&path=0.1.1.1.0.0.2.0.0.0.0"
)

// runHTML is what simulate writes for args.
func runHTML(t *testing.T, args ...string) []byte {
	t.Helper()
	var out, errs bytes.Buffer
	err := run(&out, &errs, args)
	if _, ok := err.(violationError); err != nil && !ok {
		t.Fatalf("%v: %v\n%s", args, err, errs.String())
	}
	return out.Bytes()
}

// shotSource records what a screenshot shows: the hash of the page (and
// of the state it fetched), so that a change to either makes it stale.
func shotSource(what string, parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return "sha256 " + hex.EncodeToString(h.Sum(nil)) + " " + what + "\n"
}

func reportSource(t *testing.T) (page []byte, source string) {
	page = runHTML(t, reportShot...)
	return page, shotSource("simulate "+strings.Join(quoteArgs(reportShot), " "), page)
}

func serveSource(t *testing.T, base string) string {
	get := func(path string) []byte {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s %s", path, resp.Status, b)
		}
		return b
	}
	// The page as the picture shows it: the variant chosen, not the list
	// to choose from, which grows with every variant registered.
	e := explorerPage()
	for i := range e.Fields {
		if e.Fields[i].Name == "variant" {
			e.Fields[i].Options = []string{"qos2-b"}
		}
	}
	var page bytes.Buffer
	if err := report.WriteExplorer(&page, e); err != nil {
		t.Fatal(err)
	}
	return shotSource("simulate serve, /?"+serveShot, page.Bytes(), get("/api/state?"+serveShot))
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if strings.ContainsAny(a, " #") {
			out[i] = strconv.Quote(a)
		}
	}
	return out
}

func newTestExplorer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(newExplorerServer(200_000, 256<<20).routes())
	t.Cleanup(srv.Close)
	return srv
}

// The screenshots show what the code writes now.
func TestScreenshotsAreCurrent(t *testing.T) {
	_, src := reportSource(t)
	srv := newTestExplorer(t)
	_, conform := conformSource(t)
	for name, want := range map[string]string{"report": src, "serve": serveSource(t, srv.URL), "conform": conform} {
		got, err := os.ReadFile(filepath.Join(docImages, name+".source"))
		if err != nil || string(got) != want {
			t.Errorf("docs/images/%s.png is stale (%v): run go generate ./cli (it needs Chromium) and commit", name, err)
		}
		if _, err := os.Stat(filepath.Join(docImages, name+".png")); err != nil {
			t.Error(err)
		}
	}
}

func writeShot(t *testing.T, name string, png []byte, source string) {
	if err := os.MkdirAll(docImages, 0o755); err != nil {
		t.Fatal(err)
	}
	for file, data := range map[string][]byte{name + ".png": png, name + ".source": []byte(source)} {
		if err := os.WriteFile(filepath.Join(docImages, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The pages simulate run and check write open from file:// and step
// through the run; the counterexample's violation is one click away.
func TestHTMLReportsInBrowser(t *testing.T) {
	dir := t.TempDir()
	page, source := reportSource(t)
	cex := runHTML(t, "check", "--variant", "two-packet-pid", "--format", "html")
	proof := runHTML(t, "explore", "--variant", "qos2-b", "--messages", "1", "--breaks", "1", "--format", "html")
	for name, b := range map[string][]byte{"run.html": page, "cex.html": cex, "proof.html": proof} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := browser.New(t)
	b.Do(t, chromedp.Navigate("file://"+filepath.Join(dir, "cex.html")))
	b.WaitFor(t, `document.querySelector("#qv-pos") !== null`)
	if got := b.Text(t, "#qv-verdict"); !strings.HasPrefix(got, "VIOLATED: no-loss: m2 completed") {
		t.Errorf("verdict %q", got)
	}
	b.Do(t, chromedp.Click(chromedp.ID("qv-mark")))
	if got := b.Text(t, "#qv-event"); got != "client complete m2" {
		t.Errorf("the violation's step shows %q", got)
	}
	if got := b.Text(t, "#qv-replay"); !strings.HasPrefix(got, "simulate run --variant two-packet-pid") {
		t.Errorf("replay %q", got)
	}
	// A proof has no steps: the page says so and shows no controls.
	b.Do(t, chromedp.Navigate("file://"+filepath.Join(dir, "proof.html")))
	b.WaitFor(t, `document.querySelector("#qv-verdict") !== null`)
	if got := b.Text(t, "#qv-verdict"); !strings.HasPrefix(got, "PROVEN within the bounds") {
		t.Errorf("proof verdict %q", got)
	}
	b.Do(t, chromedp.Navigate("file://"+filepath.Join(dir, "run.html")))
	b.WaitFor(t, `document.querySelector("#qv-pos") !== null`)
	// Open at the client's CONNACK sp=1 for the picture.
	b.WaitFor(t, `(function(){for(let i=0;i<60;i++){if(document.querySelector("#qv-event").textContent.includes("client recv CONNACK sp=1"))return true;document.getElementById("qv-next").click();}return false;})()`)
	if got := b.Text(t, `.qv-ep[data-ep="client (publishes)"]`); !strings.Contains(got, "session present 1") || !strings.Contains(got, "id 2 waiting for PUBREC (m2)") {
		t.Errorf("client card: %q", got)
	}
	b.NoConsoleErrors(t)
	if *screenshots {
		writeShot(t, "report", b.Screenshot(t), source)
	}
}

// simulate serve in Chromium: take moves, go back and forward, reload the
// address and find the same state; find a counterexample; a bad address
// gets its message.
func TestServeInBrowser(t *testing.T) {
	srv := newTestExplorer(t)
	b := browser.New(t)
	loaded := func(path string) {
		t.Helper()
		b.WaitFor(t, `document.getElementById("qx-path") && document.getElementById("qx-path").textContent === `+strconv.Quote(path))
	}
	moves := func() string {
		return browser.Eval[string](t, b, `Array.from(document.querySelectorAll("#qx-moves button")).map(b => b.firstChild.textContent).join(" | ")`)
	}
	b.Do(t, chromedp.Navigate(srv.URL+"/?variant=qos2-b&messages=1&breaks=1"))
	loaded("(the initial state)")
	if got := moves(); got != "1. publish m1 | 2. connect" {
		t.Errorf("initial moves: %s", got)
	}
	// publish, connect, deliver CONNECT, deliver CONNACK: by click and by key.
	b.Do(t, chromedp.Click(chromedp.CSS(`#qx-moves button[data-move="0"]`)))
	loaded("0")
	b.Do(t, chromedp.Click(chromedp.CSS(`#qx-moves button[data-move="0"]`)))
	loaded("0.0")
	b.Do(t, chromedp.KeyEvent("1"))
	loaded("0.0.0")
	b.Do(t, chromedp.KeyEvent("1"))
	loaded("0.0.0.0")
	if got := browser.Eval[string](t, b, `location.search`); got != "?variant=qos2-b&messages=1&breaks=1&path=0.0.0.0" {
		t.Errorf("address %q", got)
	}
	state := func() string {
		return browser.Eval[string](t, b, `document.getElementById("qx-path").dataset.state + " " + document.getElementById("qv-side").textContent`)
	}
	four := state()
	for _, want := range []string{"id 1 waiting for PUBREC (m1)", "client \u2192 server: PUBLISH id=1 q2 m1 (sent at step 4)", "break: 1 left"} {
		if !strings.Contains(four, want) {
			t.Errorf("after 4 moves the panel lacks %q: %s", want, four)
		}
	}
	if got := moves(); got != "1. deliver PUBLISH id=1 q2 m1 to server | 2. break" {
		t.Errorf("moves after 4: %s", got)
	}
	b.Do(t, chromedp.Click(chromedp.ID("qx-back")))
	loaded("0.0.0")
	b.Do(t, chromedp.Click(chromedp.ID("qx-forward")))
	loaded("0.0.0.0")
	if got := state(); got != four {
		t.Errorf("back and forward changed the state:\n%s\n%s", got, four)
	}
	b.Do(t, chromedp.Reload())
	loaded("0.0.0.0")
	if got := state(); got != four {
		t.Errorf("the reloaded address shows another state:\n%s\n%s", got, four)
	}
	// The browser's own back button walks the same history.
	b.Do(t, chromedp.NavigateBack())
	loaded("0.0.0")
	// find jumps to the shortest counterexample.
	b.Do(t, chromedp.Navigate(srv.URL+"/?variant=two-packet-pid"))
	loaded("(the initial state)")
	b.Do(t, chromedp.Click(chromedp.ID("qx-find")))
	loaded("0.1.1.1.1.1.0.0.0")
	if got := b.Text(t, "#qx-verdict"); !strings.HasPrefix(got, "VIOLATED: no-loss") {
		t.Errorf("verdict after find: %q", got)
	}
	if got := b.Text(t, "#qx-status"); !strings.Contains(got, "no-loss (m2) violated after 9 steps") {
		t.Errorf("status after find: %q", got)
	}
	// The picture.
	b.Do(t, chromedp.Navigate(srv.URL+"/?"+serveShot))
	loaded(strings.TrimPrefix(serveShot[strings.Index(serveShot, "path="):], "path="))
	b.NoConsoleErrors(t)
	if *screenshots {
		writeShot(t, "serve", b.Screenshot(t), serveSource(t, srv.URL))
	}
	// A bad address: the page says what is wrong (the 400 itself is logged
	// by the browser, so this comes after the console check).
	b.Do(t, chromedp.Navigate(srv.URL+"/?messages=99"))
	b.WaitFor(t, `document.getElementById("qx-error").textContent !== ""`)
	if got := b.Text(t, "#qx-error"); got != "--messages 99: allowed 1..16" {
		t.Errorf("error shown: %q", got)
	}
}

// Bad requests get a 4xx and a message; the page and the states answer.
func TestServeAnswers(t *testing.T) {
	srv := newTestExplorer(t)
	for _, tc := range []struct {
		method, path string
		code         int
		want         string
	}{
		{"GET", "/", 200, "qoslab explorer"},
		{"GET", "/api/state", 200, `"path":""`},
		{"GET", "/api/state?variant=qos1&path=0.1", 200, `"path":"0.1"`},
		{"GET", "/api/state?path=0.x", 400, `step 2 is \"x\"`},
		{"GET", "/api/state?path=7", 400, "step 1: move 7: allowed 0..1"},
		{"GET", "/api/state?path=" + strings.Repeat("0.", 10_000) + "0", 400, "at most 10000"},
		{"GET", "/api/state?variant=nope", 400, `unknown variant \"nope\"`},
		{"GET", "/api/state?messages=0", 400, "--messages 0: allowed 1..16"},
		{"GET", "/api/state?mode=datagram", 400, "breaks 1: connection breaks need mode stream"},
		{"GET", "/api/state?search=walk", 400, `parameter \"search\": not a setting of the explorer`},
		{"GET", "/api/state?messages=1&messages=2", 400, "given 2 times"},
		{"GET", "/api/state?reorder=maybe", 400, "--reorder"},
		{"GET", "/api/find?variant=qos2-b&messages=1", 200, `"verdict":"proven"`},
		{"GET", "/api/find?variant=qos1&messages=2", 200, `"path":"0.1.1.1.1.2.1.1.1.1"`},
		{"GET", "/api/find?ids=0", 400, "--ids 0"},
		{"POST", "/api/state", 405, ""},
		{"GET", "/nope", 404, ""},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s %.60s: %d %.200s, want %d with %q", tc.method, tc.path, resp.StatusCode, body, tc.code, tc.want)
		}
		if tc.code == 400 {
			var e struct{ Error string }
			if json.Unmarshal(body, &e) != nil || e.Error == "" {
				t.Errorf("%s: a 400 without a message: %s", tc.path, body)
			}
		}
	}
}

// serve listens where it says, answers, and stops when told.
func TestServeListensAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, pw, "127.0.0.1:0", newExplorerServer(1000, 64<<20))
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url, _, ok := strings.Cut(strings.TrimPrefix(line, "simulate serve: exploring at "), " ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("serve says %q", line)
	}
	go io.Copy(io.Discard, pr)
	resp, err := http.Get(url + "api/state?path=0")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("api/state: %s", resp.Status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve stopped with %v", err)
	}
}

// A find stops at the server's bound on states: nothing proven, no path.
func TestServeFindIsBounded(t *testing.T) {
	srv := httptest.NewServer(newExplorerServer(500, 256<<20).routes())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/find?variant=qos2-b&messages=3&breaks=2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got findResult
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Verdict != "incomplete" || got.Path != nil || got.States < 500 || got.States > 600 {
		t.Errorf("find within 500 states: %+v", got)
	}
}

// serve refuses addresses other machines could reach, and bad bounds.
func TestServeBadUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--addr", "0.0.0.0:8080"}, "serve listens on loopback only"},
		{[]string{"serve", "--addr", "example.org:80"}, "loopback only"},
		{[]string{"serve", "--addr", "8080"}, "want host:port"},
		{[]string{"serve", "--max-states", "0"}, "--max-states 0: allowed"},
		{[]string{"serve", "extra"}, `unexpected argument "extra"`},
		{[]string{"run", "--format", "html", "--scenario", "break-point-1"}, "--format html: draws one run"},
		{[]string{"run", "--format", "html", "--messages", "10001"}, "--format html: draws runs of at most 10000 messages"},
		{[]string{"explore", "--format", "html", "--mode", "datagram", "--networks"}, "--format html: draws one exploration"},
	} {
		var out, errs bytes.Buffer
		if code := exitCode(run(&out, &errs, tc.args), &errs); code != 2 || !strings.Contains(errs.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errs.String(), tc.want)
		}
	}
}
