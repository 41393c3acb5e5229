// Package report writes what qoslab found as one self-contained HTML file:
// a sequence diagram drawn as SVG that one steps through with buttons, a
// slider or the keyboard, and at each step every endpoint's state (its
// pending flows, the ids it holds, its connection and session), the packets
// in flight and the faults still to come; with the run's metrics, the
// verdict, the replay command and, for a counterexample, its shrunk
// schedule. The file fetches nothing: its style, its viewer and its data
// (as JSON) are inline, so it opens offline from file:// and can be
// attached to a bug report.
//
// The shape follows porcupine's visualization: the data is a value (Doc),
// built from a run (FromRun), a property search (FromCheck) or an
// exploration (FromExplore), and Write renders it to an io.Writer. The
// viewer draws only the rows on screen, so a run of thousands of messages
// stays responsive.
//
// A conformance run (package conformance) is a comparison in the same
// viewer: FromConform puts the real transcript beside the simulator's run
// of the same case, aligned row by row, with each divergence highlighted
// on its row; FromMatrix and WriteMatrix make one page of a whole matrix,
// whose cells open their runs.
//
// Usage:
//
//	res, states, err := sim.RunStates(cfg)
//	if err != nil { ... }
//	doc := report.FromRun(res, states)
//	doc.Replay = res.Config.Command()
//	err = report.Write(w, doc)
//
// The interactive explorer of simulate serve uses the same viewer
// (WriteExplorer) over the step-by-step API of package explore.
package report

// Doc is everything a report shows. Rows are the steps one moves through:
// trace events for a run, moves for an exploration. Every index into the
// rows (an arrow's ends, a state's At) is 0-based.
type Doc struct {
	Kind     string   `json:"kind"` // run, check, explore or conform
	Title    string   `json:"title"`
	Settings []string `json:"settings,omitempty"` // lines under the title: variant, network, faults
	Verdict  *Verdict `json:"verdict,omitempty"`
	// TimeLabel heads the rows' T column: "t" (ticks) or "step".
	TimeLabel string     `json:"timeLabel"`
	Nodes     []string   `json:"nodes"` // the participants, left to right
	Rows      []Row      `json:"rows"`
	Arrows    []Arrow    `json:"arrows"`
	Endpoints []Endpoint `json:"endpoints"`
	// States are the endpoints' states as they change; an endpoint's
	// state at row k is its last entry with At <= k (At -1: the start).
	States []State  `json:"states"`
	Panels []Panel  `json:"panels,omitempty"`
	Marks  []int    `json:"marks,omitempty"` // rows that show the violation
	Metric []Metric `json:"metrics,omitempty"`
	// Sections are blocks of text below the diagram: the schedule, the
	// shrunk case, the violations, what is pending.
	Sections   []Section `json:"sections,omitempty"`
	Replay     string    `json:"replay,omitempty"` // the command that reproduces the run
	ReplayNote string    `json:"replayNote,omitempty"`
	// Start is the row the viewer opens at.
	Start int `json:"start"`
	// Sides makes the page a comparison (a real run beside the model's):
	// Nodes split into groups drawn apart, left to right, the first
	// Sides[0].Nodes nodes the first side's. Each row is one step of
	// both: its own fields are the first side's event, Other the second's.
	Sides []Side `json:"sides,omitempty"`
	// Divergences are, in a comparison, where the real implementation did
	// what the model does not allow, or (permitted) another option of it.
	Divergences []Divergence `json:"divergences,omitempty"`
}

// Side is one group of nodes in a comparison.
type Side struct {
	Title string `json:"title"`
	Nodes int    `json:"nodes"`
}

// Divergence is one finding of a conformance run, shown on its row.
type Divergence struct {
	N     int    `json:"n"`   // its number in the run's report: !N
	Row   int    `json:"row"` // the row that shows it
	Class string `json:"class"`
	Node  string `json:"node"`
	// What the node did and what the model would have done instead.
	Did       string `json:"did"`
	Model     string `json:"model"`
	Statement string `json:"statement,omitempty"`
	Why       string `json:"why,omitempty"`
	// FollowsFrom is, for a consequence, the number of the divergence it
	// follows from.
	FollowsFrom int `json:"followsFrom,omitempty"`
}

// Verdict is the outcome in one line; Bad marks a violation.
type Verdict struct {
	Text string `json:"text"`
	Bad  bool   `json:"bad,omitempty"`
}

// Row is one step: where it happens and what it is.
type Row struct {
	T    int64  `json:"t"`           // tick (run) or step number (explore)
	Kind string `json:"k"`           // send, recv, lost, dup, deliver, complete, abandon, persist, timer, break, connect, crash, restart, heal, publish, move
	Node int    `json:"n"`           // index into Doc.Nodes; -1: none
	Peer int    `json:"p"`           // the other node of a send, receive or break; -1: none
	Note string `json:"o,omitempty"` // what the diagram writes beside the node (deliver m1, connection broken)
	Text string `json:"x"`           // the step in words
	// Fault marks a fault (a loss, a duplicate, a break, a crash): the
	// viewer lists those still to come.
	Fault bool `json:"f,omitempty"`
	// Other is, in a comparison, the second side's event on this row (nil
	// where it has none; Kind "" where the first side has none), and
	// Differs marks two events that correspond but differ in detail.
	Other   *Row `json:"m,omitempty"`
	Differs bool `json:"df,omitempty"`
}

// Arrow is one copy of a packet on the wire: sent at row From by node A to
// node B, ending at row To, where it arrived ("recv"), was lost ("lost"),
// or, To == len(Rows), is still in flight when the rows end ("flight").
type Arrow struct {
	From  int    `json:"s"`
	To    int    `json:"e"`
	A     int    `json:"a"`
	B     int    `json:"b"`
	Label string `json:"l"`
	End   string `json:"z"`
}

// Endpoint is one state card: an endpoint of a node on one connection.
type Endpoint struct {
	Name string `json:"name"`
	Node int    `json:"node"`
}

// State is what an endpoint holds from row At on: its connection and
// session, the ids or messages it holds for received messages, its pending
// business and its armed timers. A real implementation's state is not
// known: Held is -1, and Pending lists what its application saw.
type State struct {
	Ep      int      `json:"ep"`
	At      int      `json:"at"`
	Conn    string   `json:"c,omitempty"`
	Held    int      `json:"h"`
	Pending []string `json:"p,omitempty"`
	Timers  []string `json:"t,omitempty"`
}

// Panel is a list shown beside the diagram that changes with the steps
// (faults still to come, properties, messages): at row k it shows its last
// change with At <= k.
type Panel struct {
	Title   string   `json:"title"`
	Changes []Change `json:"changes"`
}

// Change is a panel's content from row At on.
type Change struct {
	At    int      `json:"at"`
	Lines []string `json:"lines"`
}

// Metric is one line of figures: "delivery", "1 published, 1 exactly once".
type Metric struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Section is a titled block of lines; Code sets them in a monospace font.
type Section struct {
	Title string   `json:"title"`
	Lines []string `json:"lines"`
	Code  bool     `json:"code,omitempty"`
	Bad   bool     `json:"bad,omitempty"`
}
