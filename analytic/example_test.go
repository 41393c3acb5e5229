package analytic_test

import (
	"fmt"

	"github.com/qoslab/qoslab/analytic"
)

// The expected cost of one QoS 2 message over a datagram link that loses
// one packet in five, with the default retry limit of 10.
func ExampleExpect() {
	exp, err := analytic.Expect(analytic.CheckConfig("qos2-b", 0.2, 20))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f packets, %.3f bytes, %.4f payload resends, completes with probability %.6f after %.2f ticks\n",
		exp.Packets, exp.Bytes, exp.PayloadResends, exp.CompleteProb, exp.CompleteTicks)
	// Output: 5.6249 packets, 52.437 bytes, 0.5625 payload resends, completes with probability 0.999974 after 152.47 ticks
}

// A setting outside the chain's assumptions is refused with the reason.
func ExampleExpect_outside() {
	cfg := analytic.CheckConfig("qos2-b", 0.2, 20)
	cfg.Network.JitterTicks = 30
	_, err := analytic.Expect(cfg)
	fmt.Println(err)
	// Output: analytic: jitter 30: the chain assumes no reordering (jitter 0)
}
