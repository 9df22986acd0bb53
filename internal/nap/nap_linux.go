// Package nap sleeps for short, precise times (tens of microseconds) from a goroutine.
package nap

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// Napper sleeps for short, precise times without tying up an OS thread or a P. time.Sleep is
// rounded up to about a millisecond in an otherwise idle process (the netpoller's epoll timeout
// has millisecond resolution), and a sleeping system call would keep a P from the network
// goroutines until the scheduler takes it back. A timerfd read through the netpoller has
// neither problem: the goroutine parks, and the timer's expiry wakes epoll.
type Napper struct {
	fd  int
	f   *os.File
	buf [8]byte
}

// Linux's timerfd constants (not in package syscall).
const (
	clockMonotonic = 1
	tfdNonblock    = syscall.O_NONBLOCK
	tfdCloexec     = syscall.O_CLOEXEC
)

// New returns a Napper, or nil (time.Sleep then) if no timerfd can be created.
func New() *Napper {
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, tfdNonblock|tfdCloexec, 0)
	if errno != 0 {
		return nil
	}
	// The descriptor is non-blocking, so os.NewFile registers it with the netpoller.
	return &Napper{fd: int(fd), f: os.NewFile(fd, "timerfd")}
}

// Nap sleeps for about d (tens of microseconds late).
func (n *Napper) Nap(d time.Duration) {
	if n == nil || d <= 0 || d >= time.Second {
		time.Sleep(d)
		return
	}
	// struct itimerspec: it_interval (zero: one shot), then it_value.
	spec := [2]syscall.Timespec{{}, syscall.NsecToTimespec(int64(d))}
	if _, _, errno := syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, uintptr(n.fd), 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); errno != 0 {
		time.Sleep(d)
		return
	}
	if _, err := n.f.Read(n.buf[:]); err != nil {
		time.Sleep(d)
	}
}

// Close releases the timer.
func (n *Napper) Close() {
	if n != nil {
		n.f.Close()
	}
}
