package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qoslab/qoslab/explore"
	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/report"
)

func init() {
	register(command{name: "serve", summary: "an interactive explorer in the browser: take the explorer's moves one at a time", run: serveCmd})
}

const serveSummary = `Serves an interactive explorer on a loopback address. Pick a variant, a mode
and bounds (the settings of simulate explore), start at the initial state, take
the moves enabled there one at a time (publish, deliver, lose, duplicate, break,
reconnect, crash, restart, timer), go back and forward, and see the path as a
sequence diagram with each state's endpoints, packets in flight, faults left
and properties. "find" runs the bounded search, as simulate explore does, and
jumps to the shortest counterexample. The settings and the path are in the
page's address: a link reproduces the state.

Each request replays its path from the initial state, so an open exploration
holds no memory on the server; searches run one at a time within --max-states
and --max-mem. Runs until interrupted (Ctrl-C).`

func serveCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("serve", serveSummary)
	addr := fs.String("addr", "127.0.0.1:8080", "loopback address to listen on (port 0: any free port)")
	maxStates := fs.Int("max-states", 2_000_000, "bound of a find's search, in states")
	maxMem := memSize(1 << 30)
	fs.Var(&maxMem, "max-mem", "bound of a find's search: the memory it holds, a `size` such as 512MiB or 8GiB (a bare number is MiB)")
	if err := parseFlags(fs, stderr, args); err != nil {
		return err
	}
	if err := loopback(*addr); err != nil {
		return err
	}
	if *maxStates < 1 || *maxStates > 1<<31 {
		return usagef("--max-states %d: allowed 1..%d", *maxStates, 1<<31)
	}
	ctx, stop := interrupt()
	defer stop()
	return serve(ctx, stdout, *addr, newExplorerServer(*maxStates, uint64(maxMem)))
}

// serve answers on addr until ctx ends, and says where on stdout.
func serve(ctx context.Context, stdout io.Writer, addr string, es *explorerServer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %v", addr, err)
	}
	srv := &http.Server{Handler: es.routes(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "simulate serve: exploring at http://%s/ (Ctrl-C stops)\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loopback refuses addresses other machines could reach: the explorer
// runs searches for whoever connects.
func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--addr %q: want host:port, such as 127.0.0.1:8080", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return usagef("--addr %q: serve listens on loopback only (127.0.0.1, ::1 or localhost), since it runs searches for whoever connects", addr)
}

// explorerServer answers the explorer page's requests. It keeps no state
// per exploration: a request carries the settings and the path.
type explorerServer struct {
	maxStates int
	maxBytes  uint64
	searching sync.Mutex // one search at a time
	mu        sync.Mutex
	found     map[string]findResult // the last searches, by settings
	order     []string
}

func newExplorerServer(maxStates int, maxBytes uint64) *explorerServer {
	return &explorerServer{maxStates: maxStates, maxBytes: maxBytes, found: map[string]findResult{}}
}

func (s *explorerServer) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /api/state", s.state)
	mux.HandleFunc("GET /api/find", s.find)
	return mux
}

// serveParams are the settings the explorer takes, named and checked as
// simulate explore's flags, with the defaults the page offers.
var serveParams = []string{"variant", "topology", "mode", "mqtt", "messages", "breaks", "crashes", "losses", "dups", "reorder",
	"early-timers", "volatile", "clean-start", "ids", "receive-max", "retry-limit", "id-policy", "choices", "distinct-payloads", "ttl", "store-cap"}

// serveDefaults differ from explore's: a small space with a break to take.
var serveDefaults = map[string]string{"messages": "2", "breaks": "1"}

func serveFlags() (*flag.FlagSet, *exploreFlags) {
	fs := newFlagSet("serve", "")
	ef := addExploreFlags(fs, explore.DefaultMessages)
	for name, v := range serveDefaults {
		_ = fs.Set(name, v)
		fs.Lookup(name).DefValue = v
	}
	return fs, ef
}

// options reads the settings of a request; the error is the message of a
// 400 answer.
func options(q map[string][]string) (explore.Options, error) {
	allowed := map[string]bool{"path": true}
	for _, n := range serveParams {
		allowed[n] = true
	}
	var args []string
	for _, name := range sortedNames(q) {
		vs := q[name]
		switch {
		case !allowed[name]:
			return explore.Options{}, fmt.Errorf("parameter %q: not a setting of the explorer; allowed: %s", name, strings.Join(serveParams, ", "))
		case len(vs) != 1:
			return explore.Options{}, fmt.Errorf("parameter %q: given %d times, want once", name, len(vs))
		case name != "path":
			args = append(args, "--"+name+"="+vs[0])
		}
	}
	fs, ef := serveFlags()
	if err := parseFlags(fs, io.Discard, args); err != nil {
		return explore.Options{}, err
	}
	return ef.options()
}

func sortedNames(q map[string][]string) []string {
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// parsePath reads "0.2.1": the index of the move taken at each step.
func parsePath(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ".")
	if len(parts) > explore.MaxPathSteps {
		return nil, fmt.Errorf("path: %d steps, at most %d", len(parts), explore.MaxPathSteps)
	}
	path := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 1<<16 {
			return nil, fmt.Errorf("path %q: step %d is %q; want move indexes separated by dots, such as 0.2.1", s, i+1, p)
		}
		path[i] = n
	}
	return path, nil
}

func formatPath(path []int) string {
	parts := make([]string, len(path))
	for i, k := range path {
		parts[i] = strconv.Itoa(k)
	}
	return strings.Join(parts, ".")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func badRequest(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
}

func (s *explorerServer) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = report.WriteExplorer(w, explorerPage())
}

// explorerPage is the explorer's form: the settings serve takes, with
// their flags' defaults and help.
func explorerPage() report.Explorer {
	fs, _ := serveFlags()
	e := report.Explorer{Title: "qoslab explorer"}
	selects := map[string][]string{"variant": model.Names(), "mode": {"stream", "datagram"}, "mqtt": {"5.0", "3.1.1"},
		"id-policy": {"lowest-free", "sequential", "any"}, "topology": {"direct", "duplex", "broker", "pair", "self"},
		"choices": append([]string{"none", "all"}, model.ChoiceNames()...)}
	for _, name := range serveParams {
		f := fs.Lookup(name)
		kind := "number"
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			kind = "bool"
		}
		if selects[name] != nil {
			kind = "select"
		}
		e.Fields = append(e.Fields, report.Field{Name: name, Kind: kind, Options: selects[name], Default: f.DefValue, Usage: f.Usage})
	}
	return e
}

// stateAnswer is a state of the exploration: the path to it drawn as a
// report, the moves enabled in it and what it holds.
type stateAnswer struct {
	Path  string            `json:"path"`
	Doc   *report.Doc       `json:"doc"`
	Moves []explore.Move    `json:"moves"`
	State explore.StateView `json:"state"`
}

func (s *explorerServer) state(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o, err := options(q)
	if err != nil {
		badRequest(w, err)
		return
	}
	path, err := parsePath(q.Get("path"))
	if err != nil {
		badRequest(w, err)
		return
	}
	st, err := explore.NewStepper(o)
	if err != nil {
		badRequest(w, err)
		return
	}
	p, err := st.Walk(path)
	if err != nil {
		badRequest(w, fmt.Errorf("path %q: %v", q.Get("path"), err))
		return
	}
	d := report.FromPath(p, st.Nodes())
	d.Title = fmt.Sprintf("%s, %s topology, %s mode, MQTT %s", o.Variant, o.Topology, o.Mode, o.Version)
	d.Settings = []string{"bounds: " + bounds(o)}
	last := p.Last()
	d.Verdict = &report.Verdict{Text: "no property violated in this state"}
	for _, pr := range last.Properties {
		if !pr.Holds && pr.Name != "finished" {
			d.Verdict = &report.Verdict{Text: "VIOLATED: " + pr.Name + ": " + pr.Detail, Bad: true}
			d.Marks = []int{len(d.Rows) - 1}
			break
		}
	}
	writeJSON(w, http.StatusOK, stateAnswer{Path: formatPath(path), Doc: d, Moves: p.Moves, State: last})
}

// findResult is the outcome of a search: its verdict in words and, for a
// violation, the path to its shortest counterexample.
type findResult struct {
	Verdict string  `json:"verdict"`
	Text    string  `json:"text"`
	States  int     `json:"states"`
	Seconds float64 `json:"seconds"`
	Path    *string `json:"path"` // null: no counterexample
}

// maxFound bounds the searches remembered.
const maxFound = 32

func (s *explorerServer) find(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o, err := options(q)
	if err != nil {
		badRequest(w, err)
		return
	}
	q.Del("path")
	key := q.Encode()
	s.mu.Lock()
	res, ok := s.found[key]
	s.mu.Unlock()
	if !ok {
		if res, err = s.search(o); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		s.remember(key, res)
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *explorerServer) search(o explore.Options) (findResult, error) {
	s.searching.Lock()
	defer s.searching.Unlock()
	o.Search, o.MaxStates, o.MaxBytes = explore.BFS, s.maxStates, s.maxBytes
	res, err := explore.Run(o)
	if err != nil {
		return findResult{}, err
	}
	out := findResult{Verdict: res.Verdict.String(), Text: report.ExploreVerdict(res), States: res.States, Seconds: res.Elapsed.Seconds()}
	if v := res.Violation; v != nil {
		st, err := explore.NewStepper(o)
		if err != nil {
			return out, err
		}
		path, err := st.PathOf(v)
		if err != nil {
			return out, err
		}
		p := formatPath(path)
		out.Path = &p
	}
	return out, nil
}

func (s *explorerServer) remember(key string, res findResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.found[key]; ok {
		return
	}
	if len(s.order) == maxFound {
		delete(s.found, s.order[0])
		s.order = s.order[1:]
	}
	s.found[key] = res
	s.order = append(s.order, key)
}
