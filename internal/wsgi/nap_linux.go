package wsgi

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// probesThreads is true where threadProbe sees real thread states, so the pool may let another
// thread in as soon as the working ones are seen blocked instead of waiting out a long queue age.
const probesThreads = true

// stallAfter is the least time a request waits in the queue before another thread is let in;
// here the monitor's looks at the threads decide alone.
const stallAfter = 0

// napper sleeps for short, precise times without tying up an OS thread or a P. time.Sleep is
// rounded up to about a millisecond in an otherwise idle process (the netpoller's epoll timeout
// has millisecond resolution), and a sleeping system call would keep a P from the network
// goroutines until the scheduler takes it back. A timerfd read through the netpoller has
// neither problem: the goroutine parks, and the timer's expiry wakes epoll.
type napper struct {
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

// newNapper returns a napper, or nil (time.Sleep then) if no timerfd can be created.
func newNapper() *napper {
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, tfdNonblock|tfdCloexec, 0)
	if errno != 0 {
		return nil
	}
	// The descriptor is non-blocking, so os.NewFile registers it with the netpoller.
	return &napper{fd: int(fd), f: os.NewFile(fd, "timerfd")}
}

// nap sleeps for about d (tens of microseconds late).
func (n *napper) nap(d time.Duration) {
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

func (n *napper) close() {
	if n != nil {
		n.f.Close()
	}
}
