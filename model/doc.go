// Package model holds the protocol endpoints of qoslab as pure state machines.
//
// An endpoint takes one Input at a time and appends what it wants done to a
// slice of Outputs: packets to send, messages to deliver to the application,
// timers to set or cancel, state it made durable. It owns no clock, no
// goroutine, no random source and does no I/O, so the simulator (package sim)
// and the exhaustive explorer can drive the same code, copy it, compare it and
// hash it.
//
// Each protocol variant is one file that registers a Variant: a name, a
// one-line description and constructors for its sending and receiving
// endpoints. Connection handling (CONNECT/CONNACK, session present), packet
// identifier allocation, the in-flight window and retransmission are shared
// helpers, so a variant only writes the rules that make it different.
//
// Usage:
//
//	v, err := model.Lookup("qos2-b")
//	if err != nil { ... }
//	cfg := model.Config{Mode: model.Stream, Version: model.V5}
//	client := v.NewSender(cfg.As(model.RoleClient))
//	out := client.Step(model.Input{Kind: model.InConnUp}, nil) // CONNECT
//
// Comments cite the normative statements of MQTT 3.1.1 and 5.0 that a rule
// implements, as [MQTT-x.y.z-n]; where the two versions number a statement
// differently, the 5.0 number is given and the 3.1.1 one follows.
package model
