package server

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/waitress-go/waitress-go/internal/http1"
	"github.com/waitress-go/waitress-go/internal/wsgi"
)

// holdDelay is how long the first, small piece of a response waits for the rest before it is
// sent: a typical response (Start, one Body, Done) then goes out in a single write.
const holdDelay = time.Millisecond

// maxKeptOut is how much small output may be held back (holdDelay) before the writer is woken.
const maxKeptOut = 64 << 10

// segment is one piece of queued output: bytes in memory, or a byte range of a file.
type segment struct {
	mem []byte
	f   *os.File
	off int64
	n   int64
	// spool marks a range of the connection's spool file (not closed after sending).
	spool bool
	// release, for memory lent by the application (BodyBorrowed), gives it back once sent.
	release func()
}

func (sg *segment) size() int64 {
	if sg.f != nil {
		return sg.n
	}
	return int64(len(sg.mem))
}

// response is the wsgi.Output of a connection's current request. The application's worker
// fills the queue; the connection goroutine (writeLoop) sends it.
type response struct {
	c *conn

	mu   sync.Mutex
	cond sync.Cond

	// request facts
	isHEAD  bool
	major   int
	minor   int
	reqConn string

	// application side
	started                    bool
	status                     string
	headers                    []wsgi.Header
	headBuilt                  bool
	overrideCL                 int64 // >= 0: Content-Length forced by File (ReadOnlyFileBasedBuffer.prepare)
	hasBody                    bool  // body bytes are sent (status allows a body and not HEAD)
	statusBody                 bool  // the status allows a body
	chunked                    bool
	closeAfter                 bool
	cl                         int64 // Content-Length of the response, -1 if none
	written                    int64 // body bytes accepted (after truncation), as content_bytes_written
	loggedExcess, loggedNoBody bool
	done                       bool
	holdsSlot                  bool

	// queue
	q         []segment
	spare     []segment
	pending   int64 // unsent bytes, queued and in flight
	memQueued int64
	hold      bool

	// spool file for output above OutbufOverflow
	spool     *os.File
	spoolW    int64
	spoolSegs int // spool segments queued or in flight
	tailLen   int64

	// client side
	gone    bool // the connection failed or was closed; output is discarded
	sawGone bool // the application tried to write after gone

	// direct is set while a worker writes the response itself (WriteNow); sending while the
	// connection's writer sends a batch it has taken from the queue.
	direct, sending bool

	timer *time.Timer
	hdrs  [][2]string
}

func (w *response) reset(r *http1.Request) {
	w.mu.Lock()
	w.isHEAD = string(r.Method) == "HEAD"
	w.major, w.minor = r.Major, r.Minor
	w.reqConn = r.ConnectionOption()
	w.started, w.headBuilt, w.done, w.holdsSlot = false, false, false, false
	w.status = ""
	w.headers = nil
	w.overrideCL = -1
	w.hasBody, w.statusBody, w.chunked, w.closeAfter = false, false, false, false
	w.cl, w.written = -1, 0
	w.loggedExcess, w.loggedNoBody = false, false
	// A client seen closing by the read-ahead reader stays gone for requests read before.
	w.gone, w.sawGone = w.c.peerClosed.Load(), false
	w.unhold()
	w.mu.Unlock()
}

// Start records the status and headers; the head is built with the first body bytes (or at
// Done), as Waitress writes it in task.write.
func (w *response) Start(status string, headers []wsgi.Header) {
	w.mu.Lock()
	w.started = true
	w.status = status
	w.headers = headers
	w.mu.Unlock()
}

// Body queues a copy of p and reports whether the application should Wait.
func (w *response) Body(p []byte) bool {
	var logs []string
	w.mu.Lock()
	if w.gone {
		w.sawGone = true
		w.mu.Unlock()
		return true
	}
	first := !w.headBuilt
	if first {
		w.buildHead()
	}
	if len(p) > 0 {
		logs = w.appendBody(p)
	}
	full := w.queued()
	w.mu.Unlock()
	w.c.srv.logAll(logs)
	return full
}

// queued wakes the writer, or holds the output back, after body bytes were queued, and reports
// whether the application should Wait (w.mu held).
func (w *response) queued() (full bool) {
	// Waking the connection's writer from here costs the worker a futex call while it holds
	// the GIL, so small pieces are held back for up to holdDelay: a typical response (Start,
	// Body, Done) then goes out with the one wake-up Done makes, in a single write, and a slow
	// generator's chunks still reach the client within holdDelay.
	switch {
	case w.pending >= maxKeptOut || w.done:
		w.unhold()
		wakeWriter(w)
	case !w.hold:
		w.hold = true
		w.armHold()
	}
	return w.pending > w.c.srv.cfg.OutbufHighWatermark
}

// appendBody applies Waitress's task.write rules to p and queues what is to be sent.
func (w *response) appendBody(p []byte) (logs []string) {
	if !w.hasBody {
		if !w.statusBody && !w.loggedNoBody {
			w.loggedNoBody = true
			logs = append(logs, "application-written content was ignored due to HTTP response that may not contain a message-body: ("+w.status+")")
		}
		// Count them anyway, as Waitress's "cheat", so Content-Length checks hold.
		w.written += int64(len(p))
		return logs
	}
	if w.chunked {
		w.queueChunk(p)
		return logs
	}
	if w.cl >= 0 {
		room := w.cl - w.written
		if int64(len(p)) > room {
			p = p[:max(room, 0)]
			if !w.loggedExcess {
				w.loggedExcess = true
				logs = append(logs, fmt.Sprintf("application-written content exceeded the number of bytes specified by Content-Length header (%d)", w.cl))
			}
		}
	}
	w.written += int64(len(p))
	if len(p) > 0 {
		w.queue(p)
	}
	return logs
}

// File queues a byte range of f to be sent with sendfile.
func (w *response) File(f *os.File, offset, size int64) {
	w.mu.Lock()
	if w.gone {
		w.sawGone = true
		w.mu.Unlock()
		f.Close()
		return
	}
	if size < 0 {
		if st, err := f.Stat(); err == nil {
			size = max(st.Size()-offset, 0)
		} else {
			size = 0
		}
	}
	if !w.headBuilt {
		// ReadOnlyFileBasedBuffer.prepare: the file's size becomes the Content-Length.
		w.overrideCL = size
		w.buildHead()
	}
	var logs []string
	switch {
	case !w.hasBody || size == 0:
		if !w.hasBody && size > 0 && !w.statusBody && !w.loggedNoBody {
			w.loggedNoBody = true
			logs = append(logs, "application-written content was ignored due to HTTP response that may not contain a message-body: ("+w.status+")")
		}
		w.written += size
		f.Close()
	case w.chunked:
		t := w.memTail()
		t.mem = http1.AppendChunkHeader(t.mem, size)
		w.queueFile(f, offset, size)
		w.appendMem(crlf)
		w.written += size
	default:
		if w.cl >= 0 && size > w.cl-w.written {
			size = max(w.cl-w.written, 0)
			if !w.loggedExcess {
				w.loggedExcess = true
				logs = append(logs, fmt.Sprintf("application-written content exceeded the number of bytes specified by Content-Length header (%d)", w.cl))
			}
		}
		w.written += size
		if size > 0 {
			w.queueFile(f, offset, size)
		} else {
			f.Close()
		}
	}
	w.unhold()
	wakeWriter(w)
	w.mu.Unlock()
	w.c.srv.logAll(logs)
}

// Wait blocks while the unsent output is above the high watermark.
func (w *response) Wait() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unhold()
	w.cond.Broadcast()
	for w.pending > w.c.srv.cfg.OutbufHighWatermark && !w.gone {
		w.cond.Wait()
	}
	if w.gone {
		w.sawGone = true
	}
	return !w.gone
}

// Done ends the response (Task.finish, or channel.service's exception handling).
func (w *response) Done(aerr *wsgi.AppError) { w.finish(aerr, true) }

// DoneDeferred is Done without waking the connection's writer: the pool calls Wake for a
// batch of responses at once (wsgi.DeferredDone). The hold timer wakes it anyway within
// holdDelay if a wake were ever missed.
func (w *response) DoneDeferred(aerr *wsgi.AppError) { w.finish(aerr, false) }

// Wake wakes the connection's writer after DoneDeferred.
func (w *response) Wake() { wakeWriter(w) }

func (w *response) finish(aerr *wsgi.AppError, wake bool) {
	c := w.c
	s := c.srv
	var logs []logRec
	w.mu.Lock()
	if aerr == nil && !w.started && !w.gone {
		// task.finish -> write(b"") without start_response.
		aerr = &wsgi.AppError{Message: "RuntimeError: start_response was not called before body written",
			Traceback: "RuntimeError: start_response was not called before body written\n"}
	}
	switch {
	case w.sawGone || (w.gone && aerr != nil):
		logs = append(logs, logRec{levelInfo, "Client disconnected while serving " + string(c.pathBuf)})
		w.closeAfter = true
	case aerr != nil:
		msg := "Exception while serving " + string(c.pathBuf)
		if tb := strings.TrimRight(aerr.Traceback, "\n"); tb != "" {
			msg += "\n" + tb
		} else if aerr.Message != "" {
			msg += "\n" + aerr.Message
		}
		logs = append(logs, logRec{levelError, msg})
		if !w.headBuilt && !aerr.HeadersSent {
			w.queueInternalError(aerr)
		}
		w.closeAfter = true
	default:
		if !w.headBuilt {
			w.buildHead()
		}
		if w.chunked {
			w.appendMem(lastChunk)
		}
		if w.cl >= 0 && w.written != w.cl && !w.isHEAD {
			w.closeAfter = true
			logs = append(logs, logRec{levelWarn, fmt.Sprintf(
				"application returned too few bytes (%d) for specified Content-Length (%d) via app_iter",
				w.written, w.cl)})
		}
	}
	w.done = true
	if wake {
		w.unhold()
	} else {
		// DoneDeferred: a hold timer still armed is what sends this response if the worker
		// blocks in its next request before it wakes the batch.
		w.hold = false
	}
	if w.holdsSlot {
		w.holdsSlot = false
		<-s.slots
	}
	if wake {
		wakeWriter(w)
	}
	w.mu.Unlock()
	for _, l := range logs {
		s.log.Log("waitress", l.level, l.msg)
	}
}

type logRec struct {
	level slog.Level
	msg   string
}

// queueInternalError replaces any started response with Waitress's 500 page
// (utilities.InternalServerError through ErrorTask), closing the connection afterwards.
func (w *response) queueInternalError(aerr *wsgi.AppError) {
	s := w.c.srv
	detail := "The server encountered an unexpected internal server error"
	if s.cfg.ExposeTracebacks {
		detail = aerr.Traceback
	}
	he := &http1.Error{Status: 500, Reason: "Internal Server Error", Detail: detail}
	status, headers, body := he.PageIdent(s.cfg.Ident)
	w.status = status // what was sent, for the access log
	major, minor := w.major, w.minor
	if major != 1 {
		major, minor = 1, 0
	}
	rh := http1.ResponseHead{
		Major: major, Minor: minor, ReqConnection: w.reqConn, Status: status,
		Headers: headers, HasBody: !w.isHEAD, Date: s.dates.get(), Ident: s.cfg.Ident,
		Close: true,
	}
	w.headBuilt = true
	w.hasBody = true
	t := w.memTail()
	t.mem, _, _, _ = rh.Append(t.mem)
	if !w.isHEAD {
		t.mem = append(t.mem, body...)
	}
	w.recount()
}

// buildHead turns the status and headers into the response head and queues it
// (Task.build_response_header, via http1.ResponseHead).
func (w *response) buildHead() {
	s := w.c.srv
	w.headBuilt = true
	hs := w.hdrs[:0]
	for _, h := range w.headers {
		if w.overrideCL >= 0 && strings.EqualFold(h.Name, "Content-Length") {
			continue
		}
		hs = append(hs, [2]string{h.Name, h.Value})
	}
	w.hdrs = hs
	w.statusBody = statusHasBody(w.status)
	major, minor := w.major, w.minor
	if major != 1 {
		major, minor = 1, 0
	}
	rh := http1.ResponseHead{
		Major: major, Minor: minor, ReqConnection: w.reqConn, Status: w.status,
		Headers: hs, HasBody: !w.isHEAD, Date: s.dates.get(), Ident: s.cfg.Ident,
		ContentLength: w.overrideCL, ContentLengthKnown: w.overrideCL >= 0,
	}
	t := w.memTail()
	var chunked, closeAfter bool
	var cl int64
	t.mem, chunked, closeAfter, cl = rh.Append(t.mem)
	w.recount()
	w.chunked = chunked && !w.isHEAD
	w.closeAfter = w.closeAfter || closeAfter
	w.cl = cl
	w.hasBody = w.statusBody && !w.isHEAD
}

// statusHasBody is Task.has_body: 1xx, 204 and 304 responses carry no body.
func statusHasBody(status string) bool {
	return !(strings.HasPrefix(status, "1") || strings.HasPrefix(status, "204") || strings.HasPrefix(status, "304"))
}
