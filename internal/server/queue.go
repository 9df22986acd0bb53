package server

import (
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/waitress-go/waitress-go/internal/http1"
)

var (
	crlf      = []byte("\r\n")
	lastChunk = []byte("0\r\n\r\n")
)

// memTail returns the queued memory segment that new bytes can be appended to. After
// appending to it directly, call recount.
func (w *response) memTail() *segment {
	if n := len(w.q); n > 0 && w.q[n-1].f == nil && w.q[n-1].release == nil {
		t := &w.q[n-1]
		w.tailLen = int64(len(t.mem))
		return t
	}
	w.q = append(w.q, segment{mem: getBuf(0)})
	w.tailLen = 0
	return &w.q[len(w.q)-1]
}

// recount accounts for bytes appended to the memory tail since memTail.
func (w *response) recount() {
	t := &w.q[len(w.q)-1]
	d := int64(len(t.mem)) - w.tailLen
	w.tailLen = int64(len(t.mem))
	w.pending += d
	w.memQueued += d
}

func (w *response) appendMem(p []byte) {
	t := w.memTail()
	if need := len(t.mem) + len(p); need > cap(t.mem) {
		// Move to a buffer of the right class at once rather than let append double its way
		// up, copying at every step.
		nb := append(getBuf(need), t.mem...)
		putBuf(t.mem)
		t.mem = nb
	}
	t.mem = append(t.mem, p...)
	w.recount()
}

// queue queues a copy of p: in memory, or in the spool file once OutbufOverflow bytes are
// waiting in memory (channel.write_soon with OverflowableBuffer).
func (w *response) queue(p []byte) {
	if w.memQueued+int64(len(p)) > w.c.srv.cfg.OutbufOverflow && w.spoolWrite(p) {
		return
	}
	w.appendMem(p)
}

// queueChunk queues p as one chunk of a chunked body.
func (w *response) queueChunk(p []byte) {
	if w.memQueued+int64(len(p)) > w.c.srv.cfg.OutbufOverflow {
		var hb [24]byte
		head := http1.AppendChunkHeader(hb[:0], int64(len(p)))
		if w.spoolWrite(head) {
			if w.spoolWrite(p) && w.spoolWrite(crlf) {
				return
			}
			// The spool failed mid-chunk: the framing can no longer be completed.
			w.gone = true
			return
		}
	}
	var hb [24]byte
	w.appendMem(http1.AppendChunkHeader(hb[:0], int64(len(p))))
	w.appendMem(p)
	w.appendMem(crlf)
}

func (w *response) queueFile(f *os.File, off, n int64) {
	w.q = append(w.q, segment{f: f, off: off, n: n})
	w.pending += n
}

// spoolWrite appends p to the connection's spool file. It returns false when the file cannot
// be written, and the caller keeps p in memory instead.
func (w *response) spoolWrite(p []byte) bool {
	if w.spool == nil {
		f, err := createSpool("waitress-out-*")
		if err != nil {
			return false
		}
		w.spool = f
	}
	if _, err := w.spool.WriteAt(p, w.spoolW); err != nil {
		return false
	}
	n := int64(len(p))
	if k := len(w.q); k > 0 && w.q[k-1].spool && w.q[k-1].off+w.q[k-1].n == w.spoolW {
		w.q[k-1].n += n
	} else {
		w.q = append(w.q, segment{f: w.spool, off: w.spoolW, n: n, spool: true})
		w.spoolSegs++
	}
	w.spoolW += n
	w.pending += n
	return true
}

func (w *response) armHold() {
	if w.timer == nil {
		w.timer = time.AfterFunc(holdDelay, w.releaseHold)
	} else {
		w.timer.Reset(holdDelay)
	}
}

// unhold stops holding output back (w.mu held). The timer is stopped too: left to fire, it
// would wake the network side a millisecond after nearly every response.
func (w *response) unhold() {
	if w.hold {
		w.hold = false
		w.timer.Stop()
	}
}

func (w *response) releaseHold() {
	w.mu.Lock()
	w.hold = false
	w.cond.Broadcast()
	w.mu.Unlock()
}

// writeLoop sends the response as the application produces it and returns once Done was
// called and everything queued was sent (or the client is gone). It reports whether the
// connection may be kept open.
func (w *response) writeLoop() bool {
	c := w.c
	var batch []segment
	for {
		w.mu.Lock()
		for w.direct || !w.gone && !(len(w.q) > 0 && !w.hold) && !(w.done && len(w.q) == 0) {
			w.cond.Wait()
		}
		if w.gone || len(w.q) == 0 {
			// All sent after Done, or the client is gone: wait for the application to finish
			// with the request before its buffers are reused.
			for !w.done {
				w.cond.Wait()
			}
			keep := !w.gone && !w.closeAfter
			w.discardLocked()
			w.mu.Unlock()
			return keep
		}
		batch, w.q = w.q, batch[:0]
		w.memQueued = 0
		w.sending = true
		w.mu.Unlock()

		sent, err := c.writeBatch(batch)

		w.mu.Lock()
		w.sending = false
		w.pending -= sent
		for i := range batch {
			sg := &batch[i]
			if sg.spool {
				w.spoolSegs--
			} else if sg.f != nil {
				sg.f.Close()
			} else if sg.release != nil {
				w.giveBack(sg)
			} else {
				putBuf(sg.mem)
			}
			*sg = segment{}
		}
		if w.spoolSegs == 0 && w.spool != nil {
			// Nothing refers to the spool any more: reuse it from the start.
			w.spoolW = 0
			w.spool.Truncate(0)
		}
		if err != nil {
			w.gone = true
			c.writeError(err)
			c.nc.Close()
		}
		w.cond.Broadcast()
		w.mu.Unlock()
	}
}

// WriteNow implements wsgi.DirectWriter: a finished response held in one memory segment is
// written from the calling worker's thread, without blocking. Whatever the socket does not take
// is left queued for the connection's writer, which also handles every error.
func (w *response) WriteNow() {
	c := w.c
	w.mu.Lock()
	// While the writer is sending an earlier batch of this response, writing the rest here
	// could overtake it on the socket.
	if !w.done || w.gone || w.direct || w.sending || c.la != nil || len(w.q) != 1 || w.q[0].f != nil || w.q[0].release != nil {
		w.mu.Unlock()
		return
	}
	rc := c.rawConn()
	if rc == nil {
		w.mu.Unlock()
		return
	}
	// The writer waits while direct is set, so the segment is not sent twice.
	w.direct = true
	p := w.q[0].mem
	w.mu.Unlock()

	n := 0
	rc.Write(func(fd uintptr) bool {
		k, err := writeFD(fd, p)
		if err == nil && k > 0 {
			n = k
		}
		return true // never wait: the writer takes over what is left
	})

	w.mu.Lock()
	w.direct = false
	if n > 0 {
		w.pending -= int64(n)
		w.memQueued -= int64(n)
		if n == len(p) {
			putBuf(p)
			w.q[0] = segment{}
			w.q = w.q[:0]
		} else {
			w.q[0].mem = p[n:]
		}
	}
	w.mu.Unlock()
}

// rawConn returns the connection's descriptor access for WriteNow, or nil.
func (c *conn) rawConn() syscall.RawConn {
	if c.raw == nil && !c.noRaw {
		if sc, ok := c.nc.(syscall.Conn); ok {
			c.raw, _ = sc.SyscallConn()
		}
		c.noRaw = c.raw == nil
	}
	return c.raw
}

// discardLocked drops queued output at the end of a response (all of it when the client is
// gone). A spool file that is no longer needed is kept, emptied, for the connection's next
// large response: creating and removing one per response cost a third of a 1 MiB response's
// time. closeSpool closes it with the connection.
func (w *response) discardLocked() {
	for i := range w.q {
		sg := &w.q[i]
		if sg.f != nil && !sg.spool {
			sg.f.Close()
		}
		if sg.release != nil {
			w.giveBack(sg)
		}
		*sg = segment{}
	}
	w.q = w.q[:0]
	w.pending, w.memQueued, w.spoolSegs = 0, 0, 0
	if w.spool != nil && (w.gone || w.spoolW > 0 && w.spool.Truncate(0) != nil) {
		w.closeSpoolLocked()
	}
	w.spoolW = 0
	if w.timer != nil {
		w.timer.Stop()
	}
}

// closeSpool closes the connection's spool file, if any, once the connection is done.
func (w *response) closeSpool() {
	w.mu.Lock()
	w.closeSpoolLocked()
	w.mu.Unlock()
}

func (w *response) closeSpoolLocked() {
	if w.spool != nil {
		w.spool.Close()
		w.spool = nil
		w.spoolW = 0
	}
}

// writeBatch sends segments in order: runs of memory segments with one writev, file ranges
// with sendfile where the connection supports it.
func (c *conn) writeBatch(batch []segment) (sent int64, err error) {
	c.armWrite()
	for i := 0; i < len(batch); {
		if batch[i].f == nil {
			j := i
			for j < len(batch) && batch[j].f == nil {
				j++
			}
			var n int64
			if j-i == 1 {
				var k int
				k, err = c.nc.Write(batch[i].mem)
				n = int64(k)
			} else {
				bufs := make(net.Buffers, 0, j-i)
				for _, sg := range batch[i:j] {
					bufs = append(bufs, sg.mem)
				}
				n, err = bufs.WriteTo(c.nc)
			}
			sent += n
			if err != nil {
				return sent, err
			}
			i = j
			continue
		}
		sg := &batch[i]
		n, err := c.sendFile(sg.f, sg.off, sg.n)
		sent += n
		if err != nil {
			return sent, err
		}
		if n < sg.n {
			return sent, io.ErrUnexpectedEOF
		}
		i++
	}
	return sent, nil
}

// sendFile copies n bytes of f from off to the connection. For a TCP or unix connection Go
// uses sendfile(2) (it needs the file offset positioned and an *io.LimitedReader), and the
// write deadline is pushed out as data moves so a large file is bounded by inactivity only.
func (c *conn) sendFile(f *os.File, off, n int64) (int64, error) {
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	var total int64
	const step = 4 << 20
	for total < n {
		k := min(step, n-total)
		m, err := io.Copy(c.nc, &io.LimitedReader{R: f, N: k})
		total += m
		if err != nil {
			return total, err
		}
		if m < k {
			return total, io.ErrUnexpectedEOF
		}
		c.armWrite()
	}
	return total, nil
}
