// Package browser runs headless Chromium for qoslab's browser tests (the
// HTML report and simulate serve), through github.com/chromedp/chromedp.
//
// A test that needs the browser calls New. Where Chromium is not installed
// the test is skipped with a message saying what to install, unless the
// environment sets QOSLAB_REQUIRE_CHROMIUM=1 (CI does, after installing
// Debian's chromium package): then it fails.
//
// The browser runs headless, without sandbox or GPU, with a fresh profile,
// and with everything that would reach the network switched off: the
// pages under test fetch nothing but what the test serves on loopback.
package browser

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// RequireEnv is the variable that makes a missing Chromium a failure.
const RequireEnv = "QOSLAB_REQUIRE_CHROMIUM"

// Path is the Chromium binary to run: Debian's /usr/bin/chromium, else
// the first of chromium, chromium-browser, google-chrome on PATH; "" if none.
func Path() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Tab is one browser, with one tab, for one test. It records the page's
// console errors and uncaught exceptions from its start.
type Tab struct {
	Ctx  context.Context
	mu   sync.Mutex
	errs []string
}

// Width and Height are the window's size: the screenshots' size too.
const (
	Width  = 1400
	Height = 1000
)

// New starts Chromium for t, or skips (fails under RequireEnv=1) when it is
// missing. Everything it started ends with the test.
func New(t testing.TB) *Tab {
	t.Helper()
	path := Path()
	if path == "" {
		msg := "Chromium not found: install Debian's chromium package (apt-get install chromium) to run the browser tests"
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s; %s=1 requires it", msg, RequireEnv)
		}
		t.Skipf("skipped: %s (%s=1 makes this a failure)", msg, RequireEnv)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(Width, Height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	// A generous bound on a whole test on a loaded machine: a hung browser
	// fails the test instead of the package's timeout.
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	b := &Tab{Ctx: ctx}
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	msgs := chromedp.Console(ctx) // starts the browser; subscribes before any page loads
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.mu.Lock()
				b.errs = append(b.errs, m.String()+" ("+m.URL+")")
				b.mu.Unlock()
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(Width, Height)); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return b
}

// Do runs actions in the tab, failing t on an error.
func (b *Tab) Do(t testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// Eval evaluates a JavaScript expression in the page, failing t on an
// error.
func Eval[T any](t testing.TB, b *Tab, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// Text is the text content of the element a CSS selector finds.
func (b *Tab) Text(t testing.TB, css string) string {
	t.Helper()
	return Eval[string](t, b, `(function(){const e=document.querySelector(`+quote(css)+`);return e?e.textContent:"<no "+`+quote(css)+`+">";})()`)
}

// WaitFor polls a JavaScript predicate until it holds.
func (b *Tab) WaitFor(t testing.TB, predicate string) {
	t.Helper()
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", predicate, err)
	}
}

// Screenshot is a PNG of the window.
func (b *Tab) Screenshot(t testing.TB) []byte {
	t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	return png
}

// ConsoleErrors are the console errors and uncaught exceptions the pages
// produced so far.
func (b *Tab) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errs...)
}

// NoConsoleErrors fails t if the pages wrote an error to the console or
// threw an exception.
func (b *Tab) NoConsoleErrors(t testing.TB) {
	t.Helper()
	// Console events travel apart from the actions' answers: let those
	// of the last action arrive.
	_ = Eval[int](t, b, `1`)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
