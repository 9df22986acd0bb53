package wsgi

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
)

// threadProbe reports whether a worker's OS thread is asleep in the kernel (blocked in I/O,
// sleep, a lock or the GIL) rather than running or waiting for a CPU. The pool uses it to tell
// a worker that is blocked inside the app, which justifies letting another thread in, from one
// that is merely descheduled on a busy machine, where another thread would only contend for
// the GIL.
type threadProbe struct {
	f   *os.File
	buf [512]byte
}

// newThreadProbe must be called on the worker's own (locked) thread.
func newThreadProbe() *threadProbe {
	f, err := os.Open(fmt.Sprintf("/proc/self/task/%d/stat", syscall.Gettid()))
	if err != nil {
		return nil
	}
	return &threadProbe{f: f}
}

// sleeping reports whether the thread is in state S or D; true when unknown.
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

func (p *threadProbe) close() {
	if p != nil {
		p.f.Close()
	}
}
