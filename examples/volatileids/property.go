package volatileids

import (
	"strconv"

	"github.com/qoslab/qoslab/properties"
	"github.com/qoslab/qoslab/sim"
)

// DeliveredInTime holds when every delivered message reached its
// subscriber within 200 ticks of its publication: a latency promise of the
// kind an application makes on top of exactly-once. Registered on import,
// so `check --property delivered-in-time` finds it.
var DeliveredInTime = properties.Property{
	Name: "delivered-in-time", Kind: properties.Always,
	Doc: "every delivered message reaches its subscriber within 200 ticks of its publication",
	Check: func(h *properties.History) []properties.Violation {
		var vs []properties.Violation
		for i, e := range h.Trace {
			if e.Kind != sim.TDeliver || !h.IsSubscriber(e.Node) {
				continue
			}
			if late := e.At - h.Result.Messages[e.Msg-1].PublishedAt; late > 200 {
				vs = append(vs, properties.Violation{Property: "delivered-in-time", Kind: properties.Always, Msg: e.Msg,
					Events: []int{i}, At: e.At, Detail: "m" + strconv.Itoa(int(e.Msg)) + " delivered " + strconv.FormatInt(late, 10) + " ticks after it was published"})
			}
		}
		return vs
	},
}

func init() { properties.Register(DeliveredInTime) }
