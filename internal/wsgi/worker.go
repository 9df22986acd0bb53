package wsgi

import (
	"os"
	"sync/atomic"
	"time"

	"github.com/waitress-go/waitress-go/internal/python"
)

// borrowMin is the chunk size from which a response body is lent to a Borrower rather than
// copied: copying a few hundred kilobytes costs more than the reference and the deferred release.
const borrowMin = 128 << 10

// deferBelow is the app time under which a response's writer is woken in a batch rather than
// at once (see DeferredDone): batching pays off for fast apps, whose requests follow one another
// within microseconds.
const deferBelow = 200 * time.Microsecond

// worker is one Python thread of a Pool and the python.Sink of the request it is running.
type worker struct {
	p    *Pool
	wake chan struct{}
	call *python.Call
	// holding is true while the worker is in its GIL-holding loop (guarded by p.mu).
	holding bool
	// probe watches the OS thread the worker holds the GIL on (set before holding).
	probe atomic.Pointer[threadProbe]
	// seq counts the requests the worker has started, so the monitor can tell whether what it
	// saw of the thread was during the current one.
	seq atomic.Uint64
	// lastSlow: the previous request spent at least slowApp in the app, so this one's CPU time
	// is measured (see Pool.noteSlow).
	lastSlow bool
	// seenSeq and seenCPU record when the monitor last saw the thread asleep: during request
	// seenSeq (0: not seen), having used seenCPU nanoseconds of CPU. Monitor only.
	seenSeq uint64
	seenCPU int64
	// wakes are responses ended with DoneDeferred whose writers are still to be woken.
	wakes []DeferredDone
	// drops is reused for dropping released references.
	drops []python.Ref

	r       *Request
	started bool  // Output.Start was called for r
	waited  int64 // nanoseconds spent waiting with the GIL released during r
}

// serve runs r with the GIL held and returns the nanoseconds spent in the app and waiting for
// the client (GIL released).
func (w *worker) serve(r *Request) (appNanos, waitNanos int64) {
	w.r, w.started, w.waited = r, false, 0
	bodyFD := -1
	if r.BodyFile != nil {
		if bodyFD = bodyHandle(r.BodyFile); bodyFD < 0 {
			// Out of descriptors: the app must not see an empty body in place of the real one.
			r.Out.Done(&AppError{Message: "OSError: cannot open the spooled request body for wsgi.input"})
			w.r = nil
			return 0, 0
		}
	}
	out := w.call.Run(r.Environ, r.Body, bodyFD, w)
	var err *AppError
	switch out {
	case python.Done:
		w.start()
		w.call.Chunks(func(b []byte, obj python.Chunk) { w.body(b, obj) })
	case python.File:
		w.start()
		fd, off, size := w.call.FileInfo()
		r.Out.File(os.NewFile(uintptr(fd), "wsgi.file_wrapper"), off, size)
		if msg, tb := w.call.Err(); msg != "" {
			err = &AppError{Message: msg, Traceback: tb, HeadersSent: true}
		}
	case python.Error:
		msg, tb := w.call.Err()
		if w.call.HeadersSent() {
			// As in Waitress: what the app produced before failing is sent, then the
			// connection is closed.
			w.start()
			w.call.Chunks(func(b []byte, obj python.Chunk) { w.body(b, obj) })
		}
		err = &AppError{Message: msg, Traceback: tb, HeadersSent: w.started}
	case python.Abort:
		err = &AppError{Message: "client disconnected", HeadersSent: w.started, Disconnected: true}
	}
	appNanos = w.call.AppNanos()
	w.call.Finish()
	w.r = nil
	if dd, ok := r.Out.(DeferredDone); ok && appNanos < int64(deferBelow) {
		dd.DoneDeferred(err)
		w.wakes = append(w.wakes, dd)
	} else {
		// A slow app (I/O, sleep) is likely followed by another slow request: don't keep
		// this response waiting behind it; the wake-up costs little next to the app.
		r.Out.Done(err)
		w.wakeDone()
	}
	return appNanos, w.waited
}

// body hands one chunk of the current response to its Output (GIL held) and reports whether
// the output is above the high watermark. Large chunks are lent rather than copied where the
// Output can send them as they are: the bytes object is kept alive until the Output releases it.
func (w *worker) body(b []byte, obj python.Chunk) (full bool) {
	if br, ok := w.r.Out.(Borrower); ok && len(b) >= borrowMin {
		ref := obj.Keep()
		accepted, full := br.BodyBorrowed(b, func() { w.p.release(ref) })
		if accepted {
			return full
		}
		python.Release([]python.Ref{ref})
	}
	return w.r.Out.Body(b)
}

// writeNow lets the responses ended since the last wakeDone send themselves (GIL released).
func (w *worker) writeNow() {
	for _, dd := range w.wakes {
		if dw, ok := dd.(DirectWriter); ok {
			dw.WriteNow()
		}
	}
}

// wakeDone wakes the writers of the responses ended since the last call.
func (w *worker) wakeDone() {
	for i, dd := range w.wakes {
		dd.Wake()
		w.wakes[i] = nil
	}
	w.wakes = w.wakes[:0]
}

// start delivers the status and headers to the Output once they are final.
func (w *worker) start() {
	if w.call.HeadReady() {
		status, headers := w.call.Head()
		hs := make([]Header, len(headers))
		for i, h := range headers {
			hs[i] = Header{Name: h[0], Value: h[1]}
		}
		w.r.Out.Start(status, hs)
		w.started = true
	}
}

// Flush implements python.Sink: the app produced more than the flush budget in one call.
func (w *worker) Flush(c *python.Call) bool {
	w.start()
	full := false
	c.Chunks(func(b []byte, obj python.Chunk) {
		if w.body(b, obj) {
			full = true
		}
	})
	if !full {
		return true
	}
	t := time.Now()
	w.p.leaveGIL(w)
	python.ReleaseHere() // the goroutine stays locked to its thread
	w.wakeDone()
	ok := w.r.Out.Wait()
	python.AcquireHere()
	w.p.enterGIL(w)
	w.waited += time.Since(t).Nanoseconds()
	return ok
}

// Disconnected implements python.Sink.
func (w *worker) Disconnected() bool {
	return w.r != nil && w.r.Disconnected != nil && w.r.Disconnected()
}
