package wsgi

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// threadProbe reports whether a worker's OS thread is asleep in the kernel (blocked in I/O,
// sleep, a lock or the GIL) rather than running or waiting for a CPU. The pool uses it to tell
// a worker that is blocked inside the app, which justifies letting another thread in, from one
// that is merely descheduled on a busy machine, where another thread would only contend for
// the GIL.
type threadProbe struct {
	f     *os.File
	clock uintptr // the thread's CPU-time clock, for clock_gettime
	buf   [512]byte
}

// newThreadProbe must be called on the worker's own (locked) thread. It also sets the thread's
// timer slack to 1 µs: the kernel's default lets an application's sleep or poll timeout end up
// to 50 µs late, which an app that sleeps or waits with timeouts pays on every request.
func newThreadProbe() *threadProbe {
	const prSetTimerslack = 29
	syscall.RawSyscall6(syscall.SYS_PRCTL, prSetTimerslack, 1000, 0, 0, 0, 0)
	tid := syscall.Gettid()
	f, err := os.Open(fmt.Sprintf("/proc/self/task/%d/stat", tid))
	if err != nil {
		return nil
	}
	// MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) from the kernel's posix-timers.h.
	return &threadProbe{f: f, clock: uintptr(^int64(tid)<<3 | 6)}
}

// sleeping reports whether the thread is in state S or D; true when unknown. It costs a few
// microseconds (the kernel formats the whole stat line).
func (p *threadProbe) sleeping() bool {
	if p == nil {
		return true
	}
	n, err := p.f.ReadAt(p.buf[:], 0)
	if n == 0 && err != nil {
		return true
	}
	b := p.buf[:n]
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return true
	}
	switch b[i+2] {
	case 'R':
		return false
	default:
		return true
	}
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

func (p *threadProbe) close() {
	if p != nil {
		p.f.Close()
	}
}
