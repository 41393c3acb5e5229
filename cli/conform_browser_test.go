package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/qoslab/qoslab/internal/browser"
)

// The conformance picture: mochi under MQTT 5.0 with qoslab's model client
// at break point 2 of the answer, opened at the protocol violation (mochi
// refuses the retransmitted PUBLISH of an id it holds with PUBREC 0x91).
var conformShot = []string{"conform", "--client", "model", "--mqtt", "5.0", "--faults", "break after-send PUBREC#1", "--format", "html"}

// conformPage is the page conformShot writes, made once for the tests
// that need it (a conformance run against the embedded broker).
var conformPage = sync.OnceValues(func() ([]byte, error) {
	var out, errs bytes.Buffer
	err := run(&out, &errs, conformShot)
	if _, ok := err.(violationError); !ok {
		return nil, fmt.Errorf("simulate %s: %v (want a violation)\n%s", strings.Join(conformShot, " "), err, errs.String())
	}
	return out.Bytes(), nil
})

func conformSource(t *testing.T) (page []byte, source string) {
	t.Helper()
	page, err := conformPage()
	if err != nil {
		t.Fatal(err)
	}
	return page, shotSource("simulate "+strings.Join(quoteArgs(conformShot), " "), page)
}

// simulate conform --format html opens from file://; V steps to each
// divergence, whose class and statement the panel shows.
func TestConformHTMLInBrowser(t *testing.T) {
	page, source := conformSource(t)
	file := filepath.Join(t.TempDir(), "conform.html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	b := browser.New(t)
	b.Do(t, chromedp.Navigate("file://"+file))
	b.WaitFor(t, `document.querySelector("#qv-pos") !== null`)
	if got := b.Text(t, "#qv-verdict"); got != "protocol violation: 2 divergence(s): 1 permitted difference, 1 protocol violation" {
		t.Errorf("verdict %q", got)
	}
	for _, want := range []string{"!1 permitted difference [MQTT-4.4.0-1]", "!2 protocol violation [MQTT-4.3.3-10]"} {
		b.Do(t, chromedp.KeyEvent("v"))
		if got := b.Text(t, "#qv-divs"); !strings.HasPrefix(got, want) {
			t.Errorf("the divergence's panel shows %q, want %q first", got, want)
		}
	}
	if got := b.Text(t, "#qv-event"); got != "broker -> publisher PUBREC id=1 rc=0x91 (connection 2)" {
		t.Errorf("the violation's step shows %q", got)
	}
	if got := b.Text(t, "#qv-replay"); got != `simulate conform --broker mochi --client model --mqtt 5.0 --faults "break after-send PUBREC#1"` {
		t.Errorf("replay %q", got)
	}
	b.NoConsoleErrors(t)
	if *screenshots {
		writeShot(t, "conform", b.Screenshot(t), source)
	}
}
