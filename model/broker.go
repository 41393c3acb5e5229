package model

// Forward returns the variant a broker runs on the broker -> subscriber leg
// for a message that arrived over pub, to a subscriber whose subscription
// asks for sub. The broker forwards at the lower QoS of the two
// [MQTT-3.8.4-8] [MQTT-3.8.4-6]: when the publication's QoS is the lower one,
// the forwarding leg runs the publication's own variant; otherwise the
// subscription's.
func Forward(pub, sub Variant) Variant {
	if pub.QoS < sub.QoS {
		return pub
	}
	return sub
}
