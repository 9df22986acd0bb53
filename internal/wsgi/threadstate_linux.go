package wsgi

import (
	"bytes"
	"fmt"
	"sync"
	"syscall"
	"unsafe"
)

// threadProbe reports whether a worker's OS thread is asleep in the kernel (blocked in I/O,
// sleep, a lock or the GIL) rather than running or waiting for a CPU. The pool uses it to tell
// a worker that is blocked inside the app, which justifies letting another thread in, from one
// that is merely descheduled on a busy machine, where another thread would only contend for
// the GIL.
type threadProbe struct {
	path  string  // the thread's /proc stat file, opened per look: threads outnumber looks
	clock uintptr // the thread's CPU-time clock, for clock_gettime
}

// newThreadProbe must be called on the worker's own (locked) thread. It also sets the thread's
// timer slack to 1 µs: the kernel's default lets an application's sleep or poll timeout end up
// to 50 µs late, which an app that sleeps or waits with timeouts pays on every request.
func newThreadProbe() *threadProbe {
	const prSetTimerslack = 29
	syscall.RawSyscall6(syscall.SYS_PRCTL, prSetTimerslack, 1000, 0, 0, 0, 0)
	tid := syscall.Gettid()
	// MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) from the kernel's posix-timers.h.
	return &threadProbe{path: fmt.Sprintf("/proc/self/task/%d/stat", tid), clock: uintptr(^int64(tid)<<3 | 6)}
}

// sleeping reports whether the thread is in state S or D; true when unknown. It costs several
// microseconds (an open, and the kernel formats the whole stat line). The file is not kept open:
// any of Go's threads may run Python, and each would keep a descriptor for good.
func (p *threadProbe) sleeping() bool {
	if p == nil {
		return true
	}
	fd, err := syscall.Open(p.path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return true
	}
	var buf [512]byte
	n, _ := syscall.Pread(fd, buf[:], 0)
	syscall.Close(fd)
	if n < 0 {
		n = 0
	}
	b := buf[:n]
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return true
	}
	return b[i+2] != 'R'
}

// cpuNanos is the CPU time the thread has used, or 0 when unknown. It costs well under a
// microsecond, so a thread seen asleep once is re-checked with it: if it has not used the CPU
// since, it has not woken.
func (p *threadProbe) cpuNanos() int64 {
	if p == nil {
		return 0
	}
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, p.clock, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0
	}
	return ts.Nano()
}

// probes holds one threadProbe per OS thread that has run Python; threads live as long as the
// process, and so do their probes.
var probes struct {
	sync.Mutex
	m map[int]*threadProbe
}

// probeHere returns the probe of the calling (locked) OS thread.
func probeHere() *threadProbe {
	tid := syscall.Gettid()
	probes.Lock()
	defer probes.Unlock()
	if p, ok := probes.m[tid]; ok {
		return p
	}
	if probes.m == nil {
		probes.m = map[int]*threadProbe{}
	}
	p := newThreadProbe()
	probes.m[tid] = p
	return p
}
