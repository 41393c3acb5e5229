package conformance

import (
	"strconv"

	"github.com/qoslab/qoslab/model"
)

// The statements a divergence breaks. The model decides what a node may do;
// these name, for the report, which MUST a packet the model does not allow
// breaks. Ids are MQTT 5.0's (docs/spec-table.md); statements311 gives the
// 3.1.1 number where it differs.

// citeUnexpected names the statement a packet the model would not send
// here breaks, and why. resumed says the node's session has just resumed.
func citeUnexpected(p model.Packet, resumed bool) (string, string) {
	switch p.Type {
	case model.PUBLISH:
		if p.Dup && !resumed {
			return "MQTT-4.4.0-1", "a PUBLISH is resent only when a session resumes on a new connection, never at any other time"
		}
		if p.Dup {
			return "MQTT-4.3.3-6", "a PUBLISH resent that the model does not resend here: once PUBREL was sent (or the flow ended) the PUBLISH must not be sent again"
		}
		return "MQTT-2.2.1-3", "a new PUBLISH the model does not send here"
	case model.PUBREC:
		if resumed {
			return "MQTT-4.4.0-1", "a PUBREC on resume for an id the model does not hold"
		}
		return "MQTT-4.3.3-8", "a PUBREC answers a PUBLISH; the model sends none here"
	case model.PUBREL:
		if resumed {
			return "MQTT-4.4.0-1", "on resume only unacknowledged PUBLISH and PUBREL packets are resent"
		}
		return "MQTT-4.3.3-4", "a PUBREL answers a PUBREC; the model sends none here"
	case model.PUBCOMP:
		return "MQTT-4.3.3-11", "a PUBCOMP answers a PUBREL; the model sends none here"
	case model.CONNACK:
		return "MQTT-3.2.2-3", "Session Present must say whether the server resumed the session"
	case model.CONNECT:
		return "MQTT-3.1.2-4", "the client must ask to resume its session (Clean Start 0)"
	case model.PUBACK:
		return "MQTT-4.3.2-4", "a PUBACK answers a QoS 1 PUBLISH only"
	case model.SUBSCRIBE:
		return "MQTT-3.8.4-1", "a SUBSCRIBE the model does not send here"
	case model.SUBACK:
		return "MQTT-3.8.4-1", "a SUBACK answers a SUBSCRIBE; the model sends none here"
	}
	return "", ""
}

// citeMissing names the statement an owed packet that never came breaks.
func citeMissing(p model.Packet) (string, string) {
	switch p.Type {
	case model.PUBLISH:
		if p.Dup {
			return "MQTT-4.4.0-1", "an unacknowledged PUBLISH must be resent when the session resumes"
		}
		return "MQTT-4.3.3-1", "the message was accepted for delivery but never sent"
	case model.PUBREL:
		return "MQTT-4.3.3-4", "PUBREC must be answered with PUBREL, and an unacknowledged PUBREL resent on resume [MQTT-4.4.0-1]"
	case model.PUBREC:
		return "MQTT-4.3.3-10", "every PUBLISH of a QoS 2 flow must be answered with PUBREC until PUBREL"
	case model.PUBCOMP:
		return "MQTT-4.3.3-11", "PUBREL must be answered with PUBCOMP"
	case model.CONNACK:
		return "MQTT-3.2.0-1", "CONNECT must be answered with CONNACK"
	case model.CONNECT:
		return "MQTT-3.1.0-1", "a client configured to reconnect must send CONNECT first"
	case model.SUBACK:
		return "MQTT-3.8.4-1", "SUBSCRIBE must be answered with SUBACK"
	case model.SUBSCRIBE:
		return "MQTT-3.2.2-3", "a session the server does not have holds no subscription: the client subscribes again"
	}
	return "", ""
}

// citeInstead names the statement a packet breaks that differs from the
// one the model sends in a field.
func citeInstead(want, got model.Packet) (string, string) {
	hex := func(b uint8) string { return "0x" + strconv.FormatUint(uint64(b), 16) }
	switch {
	case got.Type == model.PUBREC && want.Reason < 0x80 && got.Reason >= 0x80:
		return "MQTT-4.3.3-10", "until PUBREL, a PUBLISH with a held id is the same message and must be acknowledged; a refusing PUBREC (" +
			hex(got.Reason) + ") ends the sender's flow as failed [MQTT-4.4.0-2] though the message was taken"
	case got.Type == model.PUBREC:
		return "MQTT-4.3.3-8", "the model answers this PUBLISH with reason " + hex(want.Reason)
	case got.Type == model.PUBCOMP:
		return "MQTT-4.3.3-11", "the model answers this PUBREL with reason " + hex(want.Reason)
	case got.Type == model.PUBLISH && got.Dup != want.Dup:
		if want.Dup {
			return "MQTT-3.3.1-1", "a PUBLISH sent again carries DUP 1"
		}
		return "MQTT-4.3.3-2", "a new PUBLISH carries DUP 0"
	case got.Type == model.CONNACK:
		return "MQTT-3.2.2-3", "Session Present is 1 exactly when the server resumes a session the client asked to keep"
	case got.Type == model.CONNECT:
		return "MQTT-3.1.2-4", "Clean Start says whether the client resumes its session"
	case got.Type == model.SUBACK:
		return "MQTT-3.8.4-7", "SUBACK grants the QoS the subscription asked for, or a lower one"
	}
	return citeUnexpected(got, false)
}

// statements311 are the MQTT 3.1.1 numbers of statements cited by their
// MQTT 5.0 number (docs/spec-table.md).
var statements311 = map[string]string{
	"MQTT-2.2.1-3":  "MQTT-2.3.1-2",
	"MQTT-3.1.2-4":  "MQTT-3.1.2-6",
	"MQTT-3.2.2-3":  "MQTT-3.2.2-2",
	"MQTT-4.3.3-2":  "MQTT-4.3.3-1",
	"MQTT-4.3.3-4":  "MQTT-4.3.3-1",
	"MQTT-4.3.3-6":  "MQTT-4.3.3-1",
	"MQTT-4.3.3-8":  "MQTT-4.3.3-2",
	"MQTT-4.3.3-10": "MQTT-4.3.3-2",
	"MQTT-4.3.3-11": "MQTT-4.3.3-2",
	"MQTT-4.3.3-12": "MQTT-4.3.3-2",
}

// orderStatements fix the order of each type [MQTT-4.6.0-1] to
// [MQTT-4.6.0-4].
var orderStatements = map[model.PacketType][2]string{
	model.PUBLISH: {"MQTT-4.6.0-1", "PUBLISH packets are resent in the order they were first sent"},
	model.PUBACK:  {"MQTT-4.6.0-2", "PUBACKs go out in the order the PUBLISH packets came in"},
	model.PUBREC:  {"MQTT-4.6.0-3", "PUBRECs go out in the order the PUBLISH packets came in"},
	model.PUBREL:  {"MQTT-4.6.0-4", "PUBRELs go out in the order the PUBRECs came in"},
}

// permittedChoices describe the model's open choices whose other option a
// real implementation took, with the statement that allows it. The QoS 2
// method is not among them: Methods A and B are both the model's, neither
// is a difference (Result.Choices says which a node used).
var permittedChoices = map[model.ChoiceKind]struct{ did, statement, why string }{
	model.ChoosePubcompReason: {"answered a PUBREL for an id it does not hold with PUBCOMP 0x00 (the model's first option: 0x92)",
		"MQTT-4.3.3-11", "the reason code table offers both; 0x92 is not an error during recovery"},
	model.ChooseRepeatPubrec: {"sent PUBREC again for an id it holds when the session resumed",
		"MQTT-4.4.0-1", "resending PUBLISH and PUBREL is required, and nothing forbids a repeated PUBREC"},
	model.ChooseResendOrder: {"interleaved resent PUBLISH and PUBREL packets in another order",
		"MQTT-4.6.0-1", "each type keeps its own order; the two may interleave"},
	model.ChooseKeepSession: {"discarded its session when told Session Present 0",
		"MQTT-3.2.2-5", "MQTT 3.1.1 leaves the choice to the client"},
}
