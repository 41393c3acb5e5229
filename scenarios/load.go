package scenarios

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/qoslab/qoslab/model"
	"github.com/qoslab/qoslab/sim"
	"go.yaml.in/yaml/v3"
)

// LoadError is a scenario file that cannot be used: which file, where, which
// field and what is allowed.
type LoadError struct {
	File  string // the file name as given
	Line  int    // 1-based line of the offending value; 0 when unknown
	Field string // dotted field path such as "expect.qos2-b.verdict"; "" for the whole file
	Msg   string // what is wrong and what is allowed
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString("field " + strconv.Quote(e.Field) + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Options relax one check of Load.
type Options struct {
	// AllowUnregistered accepts expectations for variants that are not
	// registered in this build; they are reported as skipped when run. The
	// built-in library uses it so that it can carry expectations for
	// variants that land later; user files are checked strictly.
	AllowUnregistered bool
}

// maxFileBytes bounds what the loader reads: a scenario is a page of text.
const maxFileBytes = 1 << 20

// LoadFile reads and strictly checks a scenario file (YAML or JSON).
func LoadFile(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &LoadError{File: path, Msg: err.Error()}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, &LoadError{File: path, Msg: err.Error()}
	}
	return Load(path, data, Options{})
}

// Load parses and strictly checks one scenario. file names the source in
// error messages. YAML and JSON are both accepted (JSON is YAML).
func Load(file string, data []byte, opt Options) (*Scenario, error) {
	if len(data) > maxFileBytes {
		return nil, &LoadError{File: file, Msg: fmt.Sprintf("file larger than %d bytes", maxFileBytes)}
	}
	root, line, err := parseYAML(data)
	if err != nil {
		return nil, &LoadError{File: file, Line: line, Msg: err.Error()}
	}
	l := &loader{file: file, opt: opt}
	sc := l.scenario(root)
	if l.err != nil {
		return nil, l.err
	}
	sc.File = file
	return sc, nil
}

// parseYAML returns the single document's top node. Anchors and aliases are
// refused: a scenario has no use for them and they allow expansion bombs.
func parseYAML(data []byte) (_ *yaml.Node, line int, err error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, 0, errors.New("empty file: a scenario is a mapping with name, why, the setup and expect")
		}
		return nil, 0, fmt.Errorf("not valid YAML or JSON: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, extra.Line, errors.New("more than one document: a file holds one scenario")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, 0, errors.New("a scenario is a mapping with name, why, the setup and expect")
	}
	if n := findAlias(doc.Content[0], 0); n != nil {
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			return nil, n.Line, errors.New("anchors and aliases are not allowed in scenario files")
		}
		return nil, n.Line, errors.New("nested too deeply; a scenario is a flat mapping plus expect")
	}
	return doc.Content[0], 0, nil
}

// findAlias returns the first alias or anchor, or a node nested deeper than
// any scenario needs.
func findAlias(n *yaml.Node, depth int) *yaml.Node {
	if n.Kind == yaml.AliasNode || n.Anchor != "" || depth > 8 {
		return n
	}
	for _, c := range n.Content {
		if a := findAlias(c, depth+1); a != nil {
			return a
		}
	}
	return nil
}

// loader keeps the first error; later checks are skipped once one is set.
type loader struct {
	file string
	opt  Options
	err  *LoadError
}

func (l *loader) fail(n *yaml.Node, field, format string, args ...any) {
	if l.err != nil {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	l.err = &LoadError{File: l.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// kindName describes a node's type in messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "the string " + strconv.Quote(n.Value)
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		case "!!null":
			return "null"
		}
		return "the value " + strconv.Quote(n.Value)
	}
	return "an unsupported value"
}

// pairs returns the key/value pairs of a mapping node, refusing duplicate
// and non-string keys.
func (l *loader) pairs(n *yaml.Node, field string) [][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		l.fail(n, field, "want a mapping, got %s", kindName(n))
		return nil
	}
	seen := map[string]bool{}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			l.fail(k, field, "keys must be names, got %s", kindName(k))
			return nil
		}
		if seen[k.Value] {
			l.fail(k, join(field, k.Value), "given twice")
			return nil
		}
		seen[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out
}

func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func (l *loader) str(n *yaml.Node, field string) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		l.fail(n, field, "want a string, got %s", kindName(n))
		return ""
	}
	return n.Value
}

func (l *loader) boolean(n *yaml.Node, field string) bool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		l.fail(n, field, "want true or false, got %s", kindName(n))
		return false
	}
	b, err := strconv.ParseBool(strings.ToLower(n.Value))
	if err != nil {
		l.fail(n, field, "want true or false, got %s", kindName(n))
	}
	return b
}

// integer reads a whole number in [lo, hi].
func (l *loader) integer(n *yaml.Node, field string, lo, hi int64) int64 {
	allowed := fmt.Sprintf("%d..%d", lo, hi)
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		l.fail(n, field, "want a whole number %s, got %s", allowed, kindName(n))
		return 0
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(n.Value, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
			l.fail(n, field, "want a whole number %s, got %s", allowed, kindName(n))
			return 0
		}
		v = int64(f)
	}
	switch {
	case v < 0 && lo >= 0:
		l.fail(n, field, "%d is negative; allowed %s", v, allowed)
	case v < lo || v > hi:
		l.fail(n, field, "%d is out of range; allowed %s", v, allowed)
	}
	return v
}

func (l *loader) probability(n *yaml.Node, field string) float64 {
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		l.fail(n, field, "want a probability in [0,1], got %s", kindName(n))
		return 0
	}
	f, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || !(f >= 0 && f <= 1) {
		l.fail(n, field, "%s is not a probability; allowed 0..1", n.Value)
		return 0
	}
	return f
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,63}$`)

// maxTicks bounds tick fields as simulate run bounds its tick flags: sums
// such as messages x interval must not overflow.
const maxTicks = 1_000_000_000

// setupField reads one setup value into sc. The names are the flags of
// `simulate run`, with the same meaning and the same ranges.
func (l *loader) setupField(sc *Scenario, k, v *yaml.Node) {
	c := &sc.Base
	name := k.Value
	switch name {
	case "topology":
		t, err := sim.ParseTopology(l.str(v, name))
		l.check(v, name, err)
		c.Topology = t
	case "sub-variant":
		sc.SubVariant = l.variant(v, name)
	case "mode":
		m, err := model.ParseMode(l.str(v, name))
		l.check(v, name, err)
		c.Endpoint.Mode = m
	case "mqtt":
		s := v.Value
		if v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!str" && v.ShortTag() != "!!int" && v.ShortTag() != "!!float") {
			l.fail(v, name, "want 5.0 or 3.1.1, got %s", kindName(v))
		}
		ver, err := model.ParseVersion(s)
		l.check(v, name, err)
		c.Endpoint.Version = ver
	case "id-policy":
		p, err := model.ParseIDPolicy(l.str(v, name))
		l.check(v, name, err)
		c.Endpoint.IDPolicy = p
	case "faults":
		f, err := sim.ParseSchedule(l.str(v, name))
		l.check(v, name, err)
		c.Faults = f
	case "seed":
		c.Seed = uint64(l.integer(v, name, 0, math.MaxInt64))
	case "runs":
		sc.Runs = int(l.integer(v, name, 1, 10_000))
	case "messages":
		c.Workload.Messages = int(l.integer(v, name, 1, 10_000_000))
	case "start":
		c.Workload.StartTicks = l.integer(v, name, 0, maxTicks)
	case "interval":
		c.Workload.IntervalTicks = l.integer(v, name, 1, maxTicks) // 0 would read as the default, 5
	case "topics":
		c.Workload.Topics = int(l.integer(v, name, 1, 1<<20))
	case "payload-bytes":
		c.Workload.PayloadBytes = int(l.integer(v, name, 1, 1<<20))
	case "distinct-payloads":
		c.Workload.DistinctPayloads = int(l.integer(v, name, 0, 1<<30))
	case "ids":
		c.Endpoint.IDSpace = int(l.integer(v, name, 1, 65535))
	case "receive-max":
		c.Endpoint.ReceiveMax = int(l.integer(v, name, 1, 65535))
	case "retry":
		c.Endpoint.RetryTicks = l.integer(v, name, 1, maxTicks)
	case "retry-limit":
		c.Endpoint.RetryLimit = int(l.integer(v, name, 1, 1000))
	case "ttl":
		c.Endpoint.TTLTicks = l.integer(v, name, 0, maxTicks)
	case "store-cap":
		c.Endpoint.StoreCap = int(l.integer(v, name, 0, 1<<30))
	case "session-expiry":
		c.Endpoint.SessionExpiryTicks = l.integer(v, name, 0, maxTicks)
	case "volatile":
		c.Endpoint.Volatile = l.boolean(v, name)
	case "clean-start":
		c.Endpoint.CleanStart = l.boolean(v, name)
	case "choices":
		ch, err := model.ParseChoices(l.str(v, name))
		l.check(v, name, err)
		c.Endpoint.Choices = ch
	case "latency":
		c.Network.LatencyTicks = l.integer(v, name, 1, maxTicks)
	case "jitter":
		c.Network.JitterTicks = l.integer(v, name, 0, maxTicks)
	case "loss":
		c.Network.Loss = l.probability(v, name)
	case "dup":
		c.Network.Dup = l.probability(v, name)
	case "break-mean":
		c.Network.BreakMeanTicks = l.integer(v, name, 0, maxTicks)
	case "crash-mean":
		c.Network.CrashMeanTicks = l.integer(v, name, 0, maxTicks)
	case "reconnect":
		c.Network.ReconnectTicks = l.integer(v, name, 1, maxTicks)
	case "restart":
		c.Network.RestartTicks = l.integer(v, name, 1, maxTicks)
	case "heal":
		c.Network.HealTicks = l.integer(v, name, 0, maxTicks)
	default:
		l.fail(k, name, "unknown field; allowed fields are %s", strings.Join(fieldNames(), ", "))
	}
}

// setupNames are the setup fields, in the order docs/scenarios.md lists them.
var setupNames = []string{"topology", "sub-variant", "mode", "mqtt", "messages", "start", "interval", "topics",
	"payload-bytes", "distinct-payloads", "id-policy", "choices", "ids", "receive-max", "retry", "retry-limit", "ttl",
	"store-cap", "session-expiry", "volatile", "clean-start", "latency", "jitter", "loss", "dup", "break-mean", "crash-mean",
	"reconnect", "restart", "heal",
	"faults", "seed", "runs"}

// SetupFields lists the setup fields a scenario file may give: the flags of
// `simulate run` that describe a run (all but --variant), plus runs.
func SetupFields() []string { return append([]string(nil), setupNames...) }

func fieldNames() []string {
	return append([]string{"name", "why", "expect"}, setupNames...)
}

func (l *loader) check(n *yaml.Node, field string, err error) {
	if err != nil {
		l.fail(n, field, "%v", err)
	}
}

func (l *loader) variant(n *yaml.Node, field string) string {
	name := l.str(n, field)
	if l.err != nil {
		return ""
	}
	if _, err := model.Lookup(name); err != nil && !(l.opt.AllowUnregistered && nameRE.MatchString(name)) {
		l.fail(n, field, "%v", err)
	}
	return name
}

func (l *loader) scenario(root *yaml.Node) *Scenario {
	sc := &Scenario{Runs: 1}
	sc.Base.Seed = 1 // as `simulate run`
	var expect *yaml.Node
	for _, kv := range l.pairs(root, "") {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "name":
			sc.Name = l.str(v, "name")
			if l.err == nil && !nameRE.MatchString(sc.Name) {
				l.fail(v, "name", "%q: want lower-case letters, digits, '-' and '.', at most 64", sc.Name)
			}
		case "why":
			sc.Why = strings.TrimSpace(l.str(v, "why"))
			if l.err == nil && (sc.Why == "" || strings.ContainsAny(sc.Why, "\n\r")) {
				l.fail(v, "why", "want one non-empty line saying what the scenario shows")
			}
		case "expect":
			expect = v
		default:
			l.setupField(sc, k, v)
		}
		if l.err != nil {
			return nil
		}
	}
	switch {
	case sc.Name == "":
		l.fail(root, "name", "missing; every scenario has a name")
	case sc.Why == "":
		l.fail(root, "why", "missing; every scenario says in one line what it shows")
	case expect == nil:
		l.fail(root, "expect", "missing; give at least one variant, e.g. expect: {qos2-b: {verdict: exactly-once}}")
	}
	if l.err != nil {
		return nil
	}
	l.expectations(sc, expect)
	if l.err != nil {
		return nil
	}
	l.validate(sc, root)
	return sc
}

func (l *loader) expectations(sc *Scenario, n *yaml.Node) {
	ps := l.pairs(n, "expect")
	if l.err == nil && len(ps) == 0 {
		l.fail(n, "expect", "empty; give at least one variant")
	}
	for _, kv := range ps {
		e := Expectation{Variant: l.variant(kv[0], "expect")}
		field := "expect." + kv[0].Value
		for _, fv := range l.pairs(kv[1], field) {
			l.figure(&e, fv[0], fv[1], join(field, fv[0].Value))
			if l.err != nil {
				return
			}
		}
		sc.Expect = append(sc.Expect, e)
		if l.err != nil {
			return
		}
	}
}

func (l *loader) figure(e *Expectation, k, v *yaml.Node, field string) {
	name := k.Value
	if name == "verdict" {
		s := l.str(v, field)
		if l.err == nil {
			verdict, err := ParseVerdict(s)
			l.check(v, field, err)
			e.Verdict = verdict
		}
		return
	}
	for _, f := range figures {
		if f.name != name {
			continue
		}
		if f.isBool {
			e.Bools = append(e.Bools, BoolFigure{Name: name, Want: l.boolean(v, field)})
		} else {
			e.Counts = append(e.Counts, CountFigure{Name: name, Want: l.integer(v, field, 0, math.MaxInt64)})
		}
		return
	}
	l.fail(k, field, "unknown field; allowed are verdict, %s", strings.Join(figureNames(), ", "))
}

// validate checks the whole setup under every expected variant, as a run
// would, and reports what the simulator refuses.
func (l *loader) validate(sc *Scenario, root *yaml.Node) {
	if sc.SubVariant != "" && !sc.Base.Topology.Layout().HasBroker() {
		l.fail(root, "sub-variant", "%s: a subscription needs a topology with a broker (broker, pair, self)", sc.SubVariant)
		return
	}
	if sc.Base.Endpoint.SessionExpiryTicks > 0 && sc.Base.Endpoint.Version != model.V5 {
		l.fail(root, "session-expiry", "%d: the Session Expiry Interval is MQTT 5.0's; mqtt %s has none",
			sc.Base.Endpoint.SessionExpiryTicks, sc.Base.Endpoint.Version)
		return
	}
	for _, e := range sc.Expect {
		if _, err := model.Lookup(e.Variant); err != nil {
			continue // unregistered (library only): reported as skipped when run
		}
		c := sc.Config(e.Variant, 0)
		if c.SubscriberVariant != "" {
			if _, err := model.Lookup(c.SubscriberVariant); err != nil {
				continue
			}
		}
		if err := c.Normalize().Validate(); err != nil {
			l.fail(root, "", "the setup is not a valid run for variant %s: %v", e.Variant, err)
			return
		}
	}
}
