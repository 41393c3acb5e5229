// Package explore is a bounded exhaustive explorer (a model checker) over the
// protocol endpoints of package model: it runs the very state machines the
// simulator runs, in a closed system whose every interleaving it visits.
//
// The system is one variant's sender (MQTT client) and receiver (MQTT
// server), the packets in flight between them with the network mode's
// semantics, the armed timers, the application's publications, and what is
// left of a fault budget:
//
//   - stream (TCP): each direction is a FIFO queue; a break loses everything
//     in flight, tells both ends, and the client reconnects later with
//     CONNECT/CONNACK as its endpoint emits them.
//   - datagram (MQTT-SN style): each direction is a multiset (or a FIFO queue
//     when reordering is off); any packet may be delivered, lost (budget) or
//     duplicated (budget); an armed retry timer fires either at any moment
//     ("early timers") or only when nothing is in flight.
//   - crashes (budget) stop a node; a restart is always possible afterwards;
//     session state survives unless Options.Volatile.
//
// Search is breadth first with visited states kept as 128-bit hashes of a
// canonical encoding (the endpoints, interned by their AppendKey, plus the
// network, timers and budgets), so the first violation found is a shortest
// one. Safety is
// checked on every state; liveness over the explored graph once it is
// complete. Random walks (Options.Search = Walk) check safety only, for
// spaces too large to finish.
//
// Usage:
//
//	res, err := explore.Run(explore.Options{Variant: "qos2-b", Messages: 3, Breaks: 2, IDs: 2})
//	if err != nil { ... }
//	fmt.Println(res.Verdict, res.States, res.Transitions)
//	if v := res.Violation; v != nil {
//		explore.WriteTrace(os.Stdout, v)    // the shortest path, as a sequence diagram
//		fmt.Println(v.Replay.Command())      // the simulate run line that replays it
//	}
//
// Result.Machines (with Options.Project) gives each endpoint's state machine
// as the search saw it, for Mermaid and Graphviz drawings.
package explore
