package server

import (
	"bytes"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/waitress-go/waitress-go/internal/http1"
)

// Read-ahead (ChannelRequestLookahead > 0, Waitress's channel_request_lookahead).
//
// Waitress keeps a channel readable while a request runs until more than lookahead requests
// are buffered; reading on is what lets it see the client close the connection, which
// waitress.client_disconnected() then reports. Here the connection splits in two: a reader
// goroutine parses requests (head and whole body, owned copies) and queues them, and the
// connection's goroutine runs them in order and writes the responses. The reader stops
// reading while more than lookahead requests are queued or running, so memory stays bounded
// by lookahead+1 requests (large bodies are spooled to disk as usual).
//
// When the reader sees the client close or reset the connection, the running request's
// output is abandoned (the application is told the client is gone, as Waitress raises
// ClientDisconnected on its next write) and queued requests are dropped, as Waitress's
// service() does for a channel that is no longer connected.

// lookahead is the state shared by a connection's reader and runner.
type lookahead struct {
	queue chan *pending // cap limit+1: the reader never blocks on it

	mu       sync.Mutex
	cond     sync.Cond
	limit    int
	inflight int       // requests queued or running
	lastDone time.Time // when the runner last finished a request
	stop     bool      // the runner is done: the reader must return
	done     chan struct{}
}

// pending is one request read ahead, owning its bytes.
type pending struct {
	req      http1.Request // aliases head
	head     []byte
	body     []byte
	bodyFile *os.File
	bodyLen  int64
	page     *http1.Error // refused: answer with this page, then close
	reqConn  string       // Connection option of a refused request
}

func (p *pending) release() {
	if p.bodyFile != nil {
		p.bodyFile.Close()
		p.bodyFile = nil
	}
}

// serveLookahead serves the connection with a reader goroutine reading ahead.
func (c *conn) serveLookahead() {
	s := c.srv
	la := &lookahead{
		queue:    make(chan *pending, s.cfg.ChannelRequestLookahead+1),
		limit:    s.cfg.ChannelRequestLookahead,
		lastDone: time.Now(),
		done:     make(chan struct{}),
	}
	la.cond.L = &la.mu
	c.la = la
	go c.readAhead()

	for p := range la.queue {
		if p.page != nil {
			c.writeErrorPage(p.page, p.reqConn)
			la.finished()
			break
		}
		if c.peerClosed.Load() {
			p.release()
			la.finished()
			break
		}
		keep := c.run(&p.req, p.body, p.bodyFile, p.bodyLen)
		p.release()
		c.dropRequest()
		la.finished()
		if !keep || s.inShut.Load() {
			break
		}
	}
	la.halt(c)
	for p := range la.queue {
		p.release()
	}
	if c.peerClosed.Load() {
		c.nc.Close()
		return
	}
	c.lingerClose()
}

// readAhead is the reader: it parses requests and queues them until the connection ends,
// a request is refused, or the runner halts it. It closes the queue when it returns.
func (c *conn) readAhead() {
	la := c.la
	defer close(la.done)
	defer close(la.queue)
	defer c.cleanupBody()
	for {
		la.mu.Lock()
		for la.inflight > la.limit && !la.stop {
			la.cond.Wait()
		}
		stop := la.stop
		la.mu.Unlock()
		if stop {
			return
		}

		n, perr, rerr := c.nextHead()
		if perr != nil {
			var he *http1.Error
			if !errors.As(perr, &he) {
				he = &http1.Error{Status: 400, Reason: "Bad Request", Detail: perr.Error(), Major: 1, Minor: 0}
			}
			la.push(&pending{page: he})
			return
		}
		if rerr != nil {
			c.readFailed(rerr)
			return
		}
		p := &pending{head: bytes.Clone(c.rbuf[:n])}
		if _, err := http1.ParseHead(p.head, c.srv.limits, &p.req); err != nil {
			// The same bytes parsed a moment ago; this cannot happen.
			la.push(&pending{page: &http1.Error{Status: 400, Reason: "Bad Request", Detail: err.Error(), Major: 1}})
			return
		}
		c.r0 = n
		body, bodyLen, page, err := c.readRequest()
		if page != nil {
			la.push(&pending{page: page, reqConn: c.req.ConnectionOption()})
			return
		}
		if err != nil {
			c.readError(err)
			c.readFailed(err)
			return
		}
		if body != nil {
			p.body = bytes.Clone(body)
		}
		p.bodyFile, c.bodyFile = c.bodyFile, nil
		p.bodyLen = bodyLen
		if cap(c.bodyBuf) > maxKeptBody {
			c.bodyBuf = nil
		}
		la.push(p)
	}
}

// readFailed records why the reader stopped: anything but our own deadline (idle timeout,
// shutdown, halt) means the client closed or reset the connection.
func (c *conn) readFailed(err error) {
	if isTimeout(err) || errors.Is(err, net.ErrClosed) {
		return
	}
	c.peerClosed.Store(true)
	c.resp.abandon()
}

// abandon marks the client gone: the application's further output is discarded and it is
// told to stop (channel.write_soon raising ClientDisconnected).
func (w *response) abandon() {
	w.mu.Lock()
	w.gone = true
	w.cond.Broadcast()
	w.mu.Unlock()
}

func (la *lookahead) push(p *pending) {
	la.mu.Lock()
	la.inflight++
	la.mu.Unlock()
	la.queue <- p
}

// finished is called by the runner after each request.
func (la *lookahead) finished() {
	la.mu.Lock()
	la.inflight--
	la.lastDone = time.Now()
	la.cond.Broadcast()
	la.mu.Unlock()
}

// halt stops the reader and waits for it to return.
func (la *lookahead) halt(c *conn) {
	la.mu.Lock()
	la.stop = true
	c.nc.SetReadDeadline(time.Now())
	la.cond.Broadcast()
	la.mu.Unlock()
	<-la.done
}

// armRead sets the connection's read deadline for the reader, unless it was halted.
func (la *lookahead) armRead(c *conn, t time.Time) bool {
	la.mu.Lock()
	defer la.mu.Unlock()
	if la.stop {
		return false
	}
	c.nc.SetReadDeadline(t)
	return true
}

// keepWaiting is asked when the reader's wait for a new request timed out. A connection is
// idle only once its last request finished ChannelTimeout ago (Waitress's maintenance skips
// channels with requests); until then the deadline is pushed out.
func (la *lookahead) keepWaiting(c *conn) bool {
	la.mu.Lock()
	defer la.mu.Unlock()
	if la.stop || c.srv.inShut.Load() {
		return false
	}
	now := time.Now()
	timeout := c.srv.cfg.ChannelTimeout
	switch {
	case la.inflight > 0:
		c.nc.SetReadDeadline(now.Add(timeout))
	case now.Before(la.lastDone.Add(timeout)):
		c.nc.SetReadDeadline(la.lastDone.Add(timeout))
	default:
		return false
	}
	return true
}

// waitIdle waits until no request is queued or running, so that the reader may write an
// interim response. It reports false when the reader was halted meanwhile.
func (la *lookahead) waitIdle() bool {
	la.mu.Lock()
	defer la.mu.Unlock()
	for la.inflight > 0 && !la.stop {
		la.cond.Wait()
	}
	return !la.stop
}
