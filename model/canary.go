//go:build qoslab_canary

package model

// A canary variant, built only with -tags qoslab_canary: it registers QoS 2
// Method B under a name that sorts first, so that `go test -tags
// qoslab_canary ./...` shows whether qoslab's own tests, tables and
// generated docs still pass when a variant is added (CI runs it). Tests must
// iterate the registry or pin their own list of variants, never assume
// that the registered ones are exactly the built-in ones.
func init() {
	rules := SenderRules{QoS: 2, Ack: PUBREC, Release: true}
	Register(Variant{
		Name:        "aaa-canary",
		Description: "a copy of qos2-b registered by the qoslab_canary build tag, to test that adding a variant breaks no test",
		QoS:         2,
		NewOutbound: func(c Config) Half { return NewSender(c, rules) },
		NewInbound:  func(c Config) Half { return newQoS2Receiver(c, false) },
	})
}
