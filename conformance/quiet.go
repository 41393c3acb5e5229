package conformance

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"time"
)

// Quiescence. The implementations run their own goroutines (or a process
// of their own), so the driver cannot know when one has finished reacting
// to a frame; it releases the next frame only once the system has been
// quiet: no frame or application event for a settle interval, and — where
// it can look — no implementation goroutine running or runnable and no
// external broker process running. Looking is what keeps the transcripts
// the same on a loaded machine or with GOMAXPROCS=1, where a reaction can
// take longer than any fixed interval.

// watchedCode marks the goroutines whose activity the driver waits out: the
// in-process implementations and the harness's own clients and proxy.
var watchedCode = [][]byte{
	[]byte("github.com/mochi-mqtt/server"),
	[]byte("github.com/eclipse/paho"),
	[]byte("github.com/qoslab/qoslab/conformance."),
}

// quietness decides whether the system under test is at rest.
type quietness struct {
	settle time.Duration // how long without events counts as quiet
	pids   []int         // external broker processes to look at
	stack  []byte
}

// busy reports whether an implementation goroutine (other than the
// caller) is running or runnable, or an external process is running.
func (q *quietness) busy() bool {
	return q.goroutinesBusy() || q.processesBusy()
}

func (q *quietness) goroutinesBusy() bool {
	if q.stack == nil {
		q.stack = make([]byte, 1<<20)
	}
	var n int
	for {
		n = runtime.Stack(q.stack, true)
		if n < len(q.stack) {
			break
		}
		q.stack = make([]byte, 2*len(q.stack))
	}
	// The dump is blocks separated by blank lines, each headed
	// "goroutine N [state]:"; the caller's own comes first.
	blocks := bytes.Split(q.stack[:n], []byte("\n\n"))
	for _, b := range blocks[1:] {
		if activeState(b) && watched(b) {
			return true
		}
	}
	return false
}

// activeState reports whether a goroutine's header says it can make
// progress without waiting for anything.
func activeState(block []byte) bool {
	head, _, _ := bytes.Cut(block, []byte("\n"))
	i := bytes.IndexByte(head, '[')
	if i < 0 {
		return false
	}
	state := head[i+1:]
	switch {
	case bytes.HasPrefix(state, []byte("running")), bytes.HasPrefix(state, []byte("runnable")):
		return true
	case bytes.HasPrefix(state, []byte("syscall")):
		// A write to a socket is a syscall that a loaded machine can
		// stretch; the one syscall that lasts the whole run is the wait
		// for a child process (the mosquitto broker).
		return !bytes.Contains(block, []byte("os.(*Process).Wait"))
	}
	return false
}

func watched(block []byte) bool {
	for _, w := range watchedCode {
		if bytes.Contains(block, w) {
			return true
		}
	}
	return false
}

// processesBusy reports whether an external broker is running (state R in
// /proc/PID/stat) rather than waiting for input.
func (q *quietness) processesBusy() bool {
	for _, pid := range q.pids {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// The state follows the parenthesised command name.
		if i := bytes.LastIndexByte(data, ')'); i >= 0 && i+2 < len(data) && data[i+2] == 'R' {
			return true
		}
	}
	return false
}
