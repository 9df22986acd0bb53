package wsgi

import (
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waitress-go/waitress-go/internal/nap"
	"github.com/waitress-go/waitress-go/internal/python"
)

// The monitor's timing. A request waits in the queue, while threads are working, until the
// monitor finds every working thread blocked: seen asleep in the kernel on two looks during its
// current request, without using the CPU in between. They are then in I/O or sleep (which release
// the GIL), and another thread is let in. A working thread that is running, or only waiting for a
// CPU, is making progress; waking another then only makes the two convoy on the GIL, which halved
// throughput on 2 cores (../shared/notes/gil-scheduling.md).
const (
	// lookAsleep is the time between looks while every working thread is asleep: short, since
	// each look spent waiting delays a request that could be running.
	lookAsleep = 40 * time.Microsecond
	// lookBusy is the time between looks while a working thread is running: it costs the busy
	// machine a few microseconds a look, and the thread is probably about to take the request.
	lookBusy = 500 * time.Microsecond
)

// wakeBatch is how many finished responses a busy worker collects before waking their
// writers: fewer thread wake-ups while it holds the GIL, at most this many responses' delay.
const wakeBatch = 4

// PoolConfig sets up a Pool.
type PoolConfig struct {
	// Threads is the number of Python threads (--threads, default 4).
	Threads int
	// FlushBytes is how much response body may accumulate inside one app call before it is
	// handed to the Output (default 1 MiB).
	FlushBytes int
	// Log receives the pool's messages ("Task queue depth is N" on "waitress.queue").
	Log func(name string, level slog.Level, msg string)
}

// Pool runs requests on a fixed set of Python threads. Idle threads park in Go; the thread that
// holds the GIL keeps it while requests are queued, and another thread is woken only when no
// thread is working or when the queue has stalled (the worker is blocked inside the app).
type Pool struct {
	app *App
	cfg PoolConfig

	mu       sync.Mutex
	queue    []*Request
	queuedAt []int64 // unix nanos each queued request arrived, parallel to queue
	head     int
	idle     []*worker
	holding  int // workers inside their GIL-holding loop
	waking   int // workers woken that have not yet taken the GIL
	closed   bool
	lastWarn time.Time

	// released are references to bytes objects that Outputs have finished sending; a worker
	// drops them the next time it holds the GIL.
	released  []python.Ref
	nreleased atomic.Int32

	kick    chan struct{}
	stop    chan struct{}
	workers sync.WaitGroup
	all     []*worker

	// ioBound scores how much of the app's recent slow requests went by with the thread
	// blocked rather than using the CPU (see noteSlow); from ioBoundAt, Submit lets an idle
	// thread in at once.
	ioBound    atomic.Int32
	requests   atomic.Int64
	gilNanos   atomic.Int64 // GIL held by workers outside the app
	appNanos   atomic.Int64
	queueNanos atomic.Int64 // requests' time in the queue
	extraWakes atomic.Int64 // threads let in while another was working
}

// Stats are the pool's counters since start.
type Stats struct {
	Requests int64
	// GILNanosOutsideApp is the total time workers held the GIL without running app code:
	// environ building, start_response, copying the response, bookkeeping.
	GILNanosOutsideApp int64
	AppNanos           int64
	// QueueNanos is the total time requests waited in the queue for a thread.
	QueueNanos int64
	// ExtraWakes counts threads let in while another was working (the monitor found the
	// working threads blocked, or the app is known to block).
	ExtraWakes int64
	QueueDepth int
}

// NewPool starts cfg.Threads Python threads for app.
func NewPool(app *App, cfg PoolConfig) *Pool {
	if cfg.Threads < 1 {
		cfg.Threads = 4
	}
	if cfg.FlushBytes <= 0 {
		cfg.FlushBytes = 1 << 20
	}
	if cfg.Log == nil {
		cfg.Log = func(string, slog.Level, string) {}
	}
	p := &Pool{app: app, cfg: cfg, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	ready := make(chan *worker)
	for i := 0; i < cfg.Threads; i++ {
		p.workers.Add(1)
		go p.runWorker(ready)
	}
	for i := 0; i < cfg.Threads; i++ {
		w := <-ready
		p.all = append(p.all, w)
		p.idle = append(p.idle, w)
	}
	go p.monitor()
	return p
}

// Submit queues r; it never blocks. r.Out.Done is always called eventually (with an error if
// the pool is shut down before r runs).
func (p *Pool) Submit(r *Request) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		r.Out.Done(&AppError{Message: "server is shutting down"})
		return
	}
	p.queue = append(p.queue, r)
	p.queuedAt = append(p.queuedAt, time.Now().UnixNano())
	depth := len(p.queue) - p.head
	var w *worker
	if p.waking == 0 && len(p.idle) > 0 && (p.holding == 0 || p.ioBound.Load() >= ioBoundAt) {
		// No thread is working; or the app spends its requests blocked (sleep, database,
		// HTTP calls) with the GIL released, so the working threads are most likely blocked
		// and the monitor's looks would only delay this request.
		if p.holding > 0 {
			p.extraWakes.Add(1)
		}
		w = p.popIdle()
	}
	warn := 0
	// As Waitress: warn when more requests wait than idle threads could take. A thread just
	// woken counts as idle: it will take one.
	available := len(p.idle) + p.waking
	if over := depth - available; over > 0 {
		if now := time.Now(); now.Sub(p.lastWarn) >= time.Second {
			// Waitress logs this on every queued task; once a second carries the same news
			// without spending GIL time on log records under load.
			p.lastWarn = now
			warn = over
		}
	}
	p.mu.Unlock()
	if w != nil {
		w.wake <- struct{}{}
	} else {
		// Queued behind a working thread, or behind one still waking up that may then block
		// in the app: the monitor watches the queue until it is empty.
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	if warn > 0 {
		p.cfg.Log("waitress.queue", slog.LevelWarn, fmt.Sprintf("Task queue depth is %d", warn))
	}
}

// popIdle takes an idle worker and marks a wake in flight (p.mu held).
func (p *Pool) popIdle() *worker {
	w := p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	p.waking++
	return w
}

// next takes the next queued request and the unix nanos it was queued at, or nil (p.mu held).
func (p *Pool) next() (*Request, int64) {
	if p.head == len(p.queue) {
		if p.head > 0 {
			clear(p.queue[:cap(p.queue)][:p.head])
			p.queue = p.queue[:0]
			p.queuedAt = p.queuedAt[:0]
			p.head = 0
		}
		return nil, 0
	}
	r, at := p.queue[p.head], p.queuedAt[p.head]
	p.queue[p.head] = nil
	p.head++
	return r, at
}

// monitor lets another thread in when requests are queued, a thread is idle, and every thread
// holding the GIL is blocked in the app with the GIL released (see lookAsleep). (Waiting for no
// completion instead would starve a pool of sleepy requests: with many threads completing in
// turn there is always a recent completion, however long the queue.)
func (p *Pool) monitor() {
	t := nap.New()
	defer t.Close()
	var holders, wakeBuf []*worker
	for {
		select {
		case <-p.kick:
		case <-p.stop:
			return
		}
		woke := false
		for {
			p.mu.Lock()
			if p.head == len(p.queue) || len(p.idle) == 0 {
				// Nothing queued, or no thread to let in: a thread that finishes takes the
				// next request itself, and it parks only once the queue is empty.
				p.mu.Unlock()
				break
			}
			if p.waking > 0 {
				// A thread woken last has not taken the GIL yet.
				p.mu.Unlock()
				t.Nap(lookAsleep)
				continue
			}
			age := time.Duration(time.Now().UnixNano() - p.queuedAt[p.head])
			holders = p.holders(holders)
			p.mu.Unlock()
			seen := look(holders)
			if seen == holderRunning {
				t.Nap(lookBusy)
				continue
			}
			if seen == holderFellAsleep || age < stallAfter {
				t.Nap(lookAsleep)
				continue
			}
			// Every working thread is blocked: let in one thread per queued request (or one where
			// that cannot be known for sure), rather than one per look.
			p.mu.Lock()
			n := min(len(p.queue)-p.head, len(p.idle))
			switch {
			case p.waking > 0:
				n = 0 // woken since the look: wait for it
			case !probesThreads:
				n = min(n, 1)
			}
			wake := wakeBuf[:0]
			for range n {
				wake = append(wake, p.popIdle())
			}
			p.extraWakes.Add(int64(n))
			p.mu.Unlock()
			for i, w := range wake {
				woke = true
				w.wake <- struct{}{}
				wake[i] = nil
			}
			wakeBuf = wake
		}
		if woke && probesThreads {
			// The thread just woken is likely to block in the app as the others did; seeing it
			// asleep now saves the next queued request a second look.
			t.Nap(4 * lookAsleep)
			p.mu.Lock()
			holders = p.holders(holders)
			p.mu.Unlock()
			look(holders)
		}
		clear(holders)
	}
}

// Telling an app that blocks from one that computes. Only requests of at least slowApp are
// measured, and only after one, so fast apps pay nothing: their threads never block for long.
const (
	slowApp = time.Millisecond
	// A slow request counts as blocked when it used the CPU for less than a quarter of its time.
	ioBoundMax = 8
	ioBoundAt  = 4
)

// noteSlow scores one slow request that used cpu nanoseconds of its thread's CPU in app
// nanoseconds.
func (p *Pool) noteSlow(cpu, app int64) {
	if !probesThreads || cpu <= 0 {
		return
	}
	for {
		old := p.ioBound.Load()
		next := old
		if cpu*4 < app {
			next = min(old+1, ioBoundMax)
		} else {
			// A computing request counts double: waking a thread for a computing app makes
			// threads convoy on the GIL.
			next = max(old-2, 0)
		}
		if next == old || p.ioBound.CompareAndSwap(old, next) {
			return
		}
	}
}

// holders lists the workers holding the GIL into buf (p.mu held).
func (p *Pool) holders(buf []*worker) []*worker {
	buf = buf[:0]
	for _, w := range p.all {
		if w.holding {
			buf = append(buf, w)
		}
	}
	return buf
}

// What a look at the working threads found.
const (
	holdersBlocked   = iota // all asleep, each since an earlier look in its current request
	holderFellAsleep        // all asleep, some not seen asleep before in this request
	holderRunning           // some running or runnable
)

// look probes the threads holding the GIL (monitor only). A thread's state costs a few
// microseconds to read, its CPU time a fraction of one: a thread seen asleep before in the same
// request that has not used the CPU since is still asleep, so with many threads blocked in the
// app only the ones that moved are read in full.
func look(holders []*worker) int {
	seen := holdersBlocked
	for _, w := range holders {
		seq := w.seq.Load()
		probe := w.probe.Load()
		if w.seenSeq == seq && probe.cpuNanos() == w.seenCPU {
			continue
		}
		if !probe.sleeping() {
			w.seenSeq = 0
			return holderRunning
		}
		w.seenSeq, w.seenCPU = seq, probe.cpuNanos()
		seen = holderFellAsleep
	}
	return seen
}

// release queues ref to be dropped by a worker (any goroutine). An idle pool wakes a thread for
// it, so that a large body is not kept alive until the next request.
func (p *Pool) release(ref python.Ref) {
	p.mu.Lock()
	p.released = append(p.released, ref)
	p.nreleased.Add(1)
	var w *worker
	if p.holding == 0 && p.waking == 0 && len(p.idle) > 0 && !p.closed {
		w = p.popIdle()
	}
	p.mu.Unlock()
	if w != nil {
		w.wake <- struct{}{}
	}
}

// dropReleased drops the references queued by release (GIL held).
func (p *Pool) dropReleased(buf []python.Ref) []python.Ref {
	if p.nreleased.Load() == 0 {
		return buf
	}
	p.mu.Lock()
	buf, p.released = p.released, buf[:0]
	p.nreleased.Store(0)
	p.mu.Unlock()
	python.Release(buf)
	clear(buf)
	return buf[:0]
}

// leaveGIL is called by a worker about to block (GIL released) in the middle of a request, so
// queued requests are not left waiting on it.
func (p *Pool) leaveGIL(w *worker) {
	p.mu.Lock()
	p.holding--
	w.holding = false
	var next *worker
	if p.head < len(p.queue) && p.waking == 0 && len(p.idle) > 0 {
		next = p.popIdle()
	}
	p.mu.Unlock()
	if next != nil {
		next.wake <- struct{}{}
	}
}

func (p *Pool) enterGIL(w *worker) {
	p.mu.Lock()
	p.holding++
	w.holding = true
	p.mu.Unlock()
}

// Stats returns the pool's counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	depth := len(p.queue) - p.head
	p.mu.Unlock()
	return Stats{
		Requests:           p.requests.Load(),
		GILNanosOutsideApp: p.gilNanos.Load(),
		AppNanos:           p.appNanos.Load(),
		QueueNanos:         p.queueNanos.Load(),
		ExtraWakes:         p.extraWakes.Load(),
		QueueDepth:         depth,
	}
}

// Shutdown stops taking requests, lets queued and running ones finish within timeout, and
// unregisters the threads from Python. It returns false if some thread was still busy (stuck
// in the app) at the deadline; the interpreter must then not be finalised.
func (p *Pool) Shutdown(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	for {
		p.mu.Lock()
		drained := p.head == len(p.queue) && p.holding == 0 && p.waking == 0 && len(p.idle) == len(p.all)
		p.mu.Unlock()
		if drained {
			break
		}
		if time.Now().After(deadline) {
			p.failQueued()
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(p.stop)
	for _, w := range p.all {
		close(w.wake)
	}
	p.workers.Wait()
	return true
}

// failQueued ends requests that never ran.
func (p *Pool) failQueued() {
	p.mu.Lock()
	var left []*Request
	for r, _ := p.next(); r != nil; r, _ = p.next() {
		left = append(left, r)
	}
	p.mu.Unlock()
	for _, r := range left {
		r.Out.Done(&AppError{Message: "server shut down before the request ran"})
	}
}

// runWorker is one Python thread of the pool: a goroutine that runs requests while it holds the
// GIL. It is locked to an OS thread only while it holds (or waits for) the GIL, and takes the
// GIL with that thread's own Python thread state: woken by a connection that has just queued a
// request, it then usually runs on that connection's thread at once, instead of the Go
// scheduler handing the CPU over to a dedicated thread (two futex calls and context switches a
// wake-up on each side).
func (p *Pool) runWorker(ready chan<- *worker) {
	defer p.workers.Done()
	w := &worker{p: p, wake: make(chan struct{}, 1)}
	runtime.LockOSThread()
	python.AcquireHere()
	w.call = p.app.py.NewCall()
	w.call.SetBudget(p.cfg.FlushBytes)
	python.ReleaseHere()
	runtime.UnlockOSThread()
	ready <- w
	for range w.wake {
		runtime.LockOSThread()
		w.probe.Store(probeHere())
		python.AcquireHere()
		start := time.Now()
		p.mu.Lock()
		p.holding++
		w.holding = true
		p.waking--
		p.mu.Unlock()
		var app, waited int64
		for {
			w.drops = p.dropReleased(w.drops)
			p.mu.Lock()
			r, at := p.next()
			if r == nil && len(p.released) > 0 {
				// Released while this batch ran: drop them before parking.
				p.mu.Unlock()
				continue
			}
			if r == nil {
				p.holding--
				w.holding = false
				p.idle = append(p.idle, w)
				p.mu.Unlock()
				break
			}
			p.mu.Unlock()
			p.queueNanos.Add(time.Now().UnixNano() - at)
			w.seq.Add(1)
			var cpu0 int64
			if w.lastSlow {
				cpu0 = w.probe.Load().cpuNanos()
			}
			a, wt := w.serve(r)
			if w.lastSlow && a >= int64(slowApp) {
				p.noteSlow(w.probe.Load().cpuNanos()-cpu0, a)
			}
			w.lastSlow = a >= int64(slowApp)
			app += a
			waited += wt
			p.requests.Add(1)
			if len(w.wakes) >= wakeBatch {
				w.wakeDone()
			}
		}
		held := time.Since(start).Nanoseconds() - waited
		p.appNanos.Add(app)
		p.gilNanos.Add(held - app)
		python.ReleaseHere()
		runtime.UnlockOSThread()
		// The last responses of the batch are sent and woken with the GIL released.
		w.writeNow()
		w.wakeDone()
	}
	runtime.LockOSThread()
	python.AcquireHere()
	w.drops = p.dropReleased(w.drops)
	w.call.Close()
	python.ReleaseHere()
	runtime.UnlockOSThread()
}
