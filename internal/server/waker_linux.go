package server

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/waitress-go/waitress-go/internal/nap"
)

// A Python worker that wakes a writer goroutine itself makes the Go scheduler queue that
// goroutine on the worker's own P, which the worker then keeps (it is locked to its thread and
// goes straight back into Python): the writer waits for sysmon to take the P away, and every
// such hand-off costs futex calls and context switches on the busy Python thread. Instead the
// worker queues the response and, if the waker goroutine is asleep, writes to an eventfd. The
// netpoller wakes the waker on a network P, where the writers are then queued.

// While workers keep finishing responses, the waker looks for them every wakerPoll instead of
// being woken for each batch; after wakerIdlePolls looks that find nothing (1 ms) it sleeps until
// a worker writes the eventfd. A response then waits up to wakerPoll for its writer, which is
// short next to the client's round trip, and an application that takes milliseconds per request
// on many threads still finds the waker awake.
const (
	wakerPoll      = 100 * time.Microsecond
	wakerIdlePolls = 10
)

var (
	wakerOnce sync.Once
	theWaker  *eventWaker
)

type eventWaker struct {
	fd     int
	f      *os.File
	asleep atomic.Bool
	broken atomic.Bool // the eventfd failed: workers wake writers themselves
	list   wakeList
}

// wakeWriter wakes w's writer soon, from a goroutine other than the caller's.
func wakeWriter(w *response) {
	wakerOnce.Do(startWaker)
	k := theWaker
	if k == nil || k.broken.Load() {
		w.cond.Broadcast()
		return
	}
	k.list.add(w)
	if k.asleep.Load() && k.asleep.CompareAndSwap(true, false) {
		one := uint64(1)
		syscall.Write(k.fd, (*[8]byte)(unsafe.Pointer(&one))[:])
	}
}

func startWaker() {
	fd, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return
	}
	k := &eventWaker{fd: int(fd)}
	// A non-blocking descriptor makes os.NewFile register it with the netpoller.
	k.f = os.NewFile(fd, "waitress-waker")
	theWaker = k
	go k.run()
}

func (k *eventWaker) run() {
	var buf [8]byte
	n := nap.New()
	empty := 0
	for {
		items := k.list.take()
		found := len(items) > 0
		if found {
			broadcastAll(items)
			empty = 0
		}
		k.list.done(items)
		if found || empty < wakerIdlePolls {
			// While responses keep coming, look for them every wakerPoll: the timer wakes
			// this goroutine on the network side's CPU, where a worker's eventfd write would
			// cost the Python thread an inter-processor wake-up per batch.
			if !found {
				empty++
			}
			n.Nap(wakerPoll)
			continue
		}
		k.asleep.Store(true)
		if k.list.pending() {
			if k.asleep.CompareAndSwap(true, false) {
				continue
			}
			// A worker saw the flag and is writing the eventfd: read it below.
		}
		empty = 0
		if _, err := k.f.Read(buf[:]); err != nil {
			// Not expected of an eventfd. Workers wake writers themselves from now on; what
			// they queued meanwhile is still woken here.
			k.broken.Store(true)
			for {
				time.Sleep(time.Millisecond)
				items := k.list.take()
				broadcastAll(items)
				k.list.done(items)
			}
		}
	}
}
