package sim

import (
	"testing"

	"github.com/qoslab/qoslab/model"
)

// The timer table keeps every timer's state apart through growth, as the
// map it replaces did, for the timers a sequential id policy produces.
func TestTimerTableKeepsStates(t *testing.T) {
	var tt timerTable
	var timers []model.Timer
	for id := 1; id <= 3000; id++ {
		timers = append(timers, model.MakeTimer(model.TimerRetry, uint16(id)), model.MakeTimer(model.TimerExpiry, uint16(id)))
	}
	timers = append(timers, model.MakeTimer(model.TimerSession, 0), 0)
	for k, tm := range timers {
		st := tt.get(tm)
		if st.gen != 0 || st.armed {
			t.Fatalf("%v: new timer has state %+v", tm, *st)
		}
		st.gen, st.deadline, st.armed = uint32(k+1), int64(k), true
	}
	if n := tt.n + len(tt.retry) - 1; n != len(timers) { // retry[0] is no timer's
		t.Fatalf("table holds %d timers, want %d", n, len(timers))
	}
	tt.disarmAll()
	for k, tm := range timers {
		if st := tt.get(tm); st.gen != uint32(k+1) || st.deadline != int64(k) || st.armed {
			t.Fatalf("%v: state %+v, want gen %d deadline %d disarmed", tm, *st, k+1, k)
		}
	}
}
