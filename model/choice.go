package model

import (
	"fmt"
	"slices"
	"strings"
)

// ChoiceKind names one place where MQTT allows more than one behaviour. A
// proof for one option says nothing about the others, and a real
// implementation that takes another permitted option must not be judged
// wrong, so the model offers the set: option 0 is the model's default, and
// the explorer, the simulator and the conformance oracle may take any.
// docs/spec-table.md lists each with the statement that allows it.
type ChoiceKind uint8

const (
	// ChooseID: a new flow may take any packet id not in use in its
	// direction [MQTT-2.2.1-3]; option k is the k-th free id in ascending
	// order, so option 0 is the lowest. Open under IDPolicy AnyFree.
	ChooseID ChoiceKind = iota + 1
	// ChoosePubcompReason: under 5.0, a PUBREL for an id the receiver does
	// not hold is answered by PUBCOMP [MQTT-4.3.3-11] with reason 0x92
	// (option 0) or 0x00 (option 1): the reason code table lists both and no
	// statement requires either.
	ChoosePubcompReason
	// ChooseRepeatPubrec: when a session resumes, a QoS 2 receiver may send
	// PUBREC again for an id it holds (option 1) or wait for the sender's
	// retransmission (option 0): [MQTT-4.4.0-1] requires resending PUBLISH
	// and PUBREL only, and nothing forbids a repeated PUBREC.
	ChooseRepeatPubrec
	// ChooseResendOrder: on resume, resent PUBLISH packets keep their order
	// [MQTT-4.6.0-1] and resent PUBRELs theirs [MQTT-4.6.0-4], but the two
	// lists may interleave in any way: option 0 takes the next flow in the
	// order the flows started, option 1 the head of the other list.
	ChooseResendOrder
	// ChooseMethod: a QoS 2 receiver may deliver a message onward when its
	// PUBLISH arrives (Method B) or when the PUBREL does (Method A)
	// [MQTT-4.3.3-8]; option 0 is the variant's own method.
	ChooseMethod
	// ChooseKeepSession: an MQTT 3.1.1 client with session state that is
	// told Session Present 0 may carry on with its state (option 0) or
	// discard it (option 1); 5.0 requires discarding [MQTT-3.2.2-5].
	ChooseKeepSession
	numChoiceKinds
)

var choiceNames = [...]string{"", "id", "pubcomp-reason", "repeat-pubrec", "resend-order", "method", "keep-session"}

// ChoiceNames are the kinds ParseChoices reads, in order; the packet id
// is not among them (IDPolicy opens it).
func ChoiceNames() []string { return slices.Clone(choiceNames[2:]) }

func (k ChoiceKind) String() string {
	if int(k) < len(choiceNames) && k > 0 {
		return choiceNames[k]
	}
	return fmt.Sprintf("choice%d", uint8(k))
}

// ChoiceSet is a set of choice kinds: the ones left open in a run.
type ChoiceSet uint16

// AllChoices opens every choice but the packet id, which IDPolicy governs.
const AllChoices ChoiceSet = (1<<numChoiceKinds - 1) &^ (1 << ChooseID) &^ 1

// Has reports whether k is in the set.
func (s ChoiceSet) Has(k ChoiceKind) bool { return s&(1<<k) != 0 }

// With returns s with k added.
func (s ChoiceSet) With(k ChoiceKind) ChoiceSet { return s | 1<<k }

// String lists the kinds, comma separated ("none" when empty).
func (s ChoiceSet) String() string {
	var names []string
	for k := ChoiceKind(1); k < numChoiceKinds; k++ {
		if s.Has(k) {
			names = append(names, k.String())
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// ParseChoices reads a comma-separated list of choice kinds, "all" or
// "none". The packet id is not among them: --id-policy any opens it.
func ParseChoices(s string) (ChoiceSet, error) {
	switch s {
	case "", "none":
		return 0, nil
	case "all":
		return AllChoices, nil
	}
	var set ChoiceSet
	for _, name := range strings.Split(s, ",") {
		k := ChoiceKind(0)
		for i := ChoiceKind(2); i < numChoiceKinds; i++ {
			if choiceNames[i] == strings.TrimSpace(name) {
				k = i
			}
		}
		if k == 0 {
			return 0, fmt.Errorf("choice %q: allowed values are all, none or a list of %s (the packet id is opened by --id-policy any)",
				name, strings.Join(ChoiceNames(), ", "))
		}
		set = set.With(k)
	}
	return set, nil
}

// MarshalText writes the set as ParseChoices reads it.
func (s ChoiceSet) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a set.
func (s *ChoiceSet) UnmarshalText(b []byte) (err error) {
	*s, err = ParseChoices(string(b))
	return err
}

// Outcome is one permitted result of a step: the Input.Choice that selects
// it, the endpoint's next state and its outputs (OutChose entries included:
// they say which option each choice took).
type Outcome struct {
	Choice uint64
	Next   Endpoint
	Out    []Output
}

// MaxOutcomes bounds what Outcomes enumerates: a step whose choices have
// more combinations than this is cut short (Outcomes reports it).
const MaxOutcomes = 1 << 16

// Outcomes returns every outcome the model permits when e takes input in,
// with the choices open in e's settings: the set a conformance oracle
// matches a real implementation against. e itself is not changed. in.Choice
// is ignored. complete is false when there were more than MaxOutcomes.
//
// It steps a clone per outcome, reading the number of options of each
// choice from the OutChose outputs, so it enumerates choices whose number
// depends on earlier ones (the second of two new flows has one free id
// fewer).
func Outcomes(e Endpoint, in Input) (outs []Outcome, complete bool) {
	var o ChoiceOdometer
	for len(outs) < MaxOutcomes {
		in.Choice = o.Value()
		next := e.Clone()
		out := next.Step(in, nil)
		outs = append(outs, Outcome{Choice: in.Choice, Next: next, Out: out})
		if !o.Next(out) {
			return outs, true
		}
	}
	return outs, false
}

// ChoiceOdometer enumerates the Input.Choice values of one step, one per
// permitted outcome, learning how many options each choice has from the
// step itself: start at Value (0, every default), step with it, and call
// Next with the step's outputs until it reports false. A later choice's
// options may depend on an earlier one's (a second new flow has one free
// id fewer), which is why the step runs before the next value is known.
type ChoiceOdometer struct {
	digits, radix []uint64 // the current path of options and their counts
}

// Value is the Input.Choice of the current path.
func (o *ChoiceOdometer) Value() uint64 { return encodeChoice(o.digits, o.radix) }

// Next reads the options of each choice the step made from its OutChose
// outputs and moves to the next path; false when there is none.
func (o *ChoiceOdometer) Next(out []Output) bool {
	o.radix = o.radix[:0]
	for i := range out {
		if out[i].Kind == OutChose {
			o.radix = append(o.radix, uint64(out[i].Options))
		}
	}
	return o.advance()
}

// NextRadices is Next for a driver that has the options of each choice
// already, in the order the step made them.
func (o *ChoiceOdometer) NextRadices(radix []uint64) bool {
	o.radix = append(o.radix[:0], radix...)
	return o.advance()
}

func (o *ChoiceOdometer) advance() bool {
	for len(o.digits) < len(o.radix) {
		o.digits = append(o.digits, 0)
	}
	o.digits = o.digits[:len(o.radix)]
	// Advance the last digit that can, and take option 0 for every choice
	// after it (their counts are read on the way).
	i := len(o.digits) - 1
	for i >= 0 && o.digits[i]+1 >= o.radix[i] {
		i--
	}
	if i < 0 {
		return false
	}
	o.digits[i]++
	o.digits, o.radix = o.digits[:i+1], o.radix[:i+1]
	return true
}

// encodeChoice is the Input.Choice whose digits are digits, in the mixed
// radix radix.
func encodeChoice(digits, radix []uint64) uint64 {
	var c, scale uint64 = 0, 1
	for i, d := range digits {
		c += d * scale
		scale *= radix[i]
	}
	return c
}
