package server

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/waitress-go/waitress-go/internal/http1"
	"github.com/waitress-go/waitress-go/internal/proxy"
	"github.com/waitress-go/waitress-go/internal/wsgi"
)

// maxKeptBody is the largest in-memory body buffer a connection keeps between requests.
const maxKeptBody = 64 << 10

// lingerTimeout bounds how long a closing connection drains unread input, so that the
// client receives our last response instead of a reset.
const lingerTimeout = 500 * time.Millisecond

var continueLine = []byte("HTTP/1.1 100 Continue\r\n\r\n")

// conn is one client connection. Everything but the fields under mu is owned by its
// goroutine (serve).
type conn struct {
	srv *Server
	nc  net.Conn
	ln  *listener

	remoteAddr, remotePort, serverPort []byte

	rbuf   []byte // read buffer; the current request's head and small body alias it
	r0, r1 int    // unconsumed input is rbuf[r0:r1]

	req          http1.Request
	env          []wsgi.EnvVar
	keys         map[string]string
	pathBuf      []byte
	clBuf        []byte
	proxyHeaders []proxy.Header
	bodyBuf      []byte
	bodyFile     *os.File
	dec          http1.ChunkedDecoder
	wreq         wsgi.Request
	resp         response

	// raw is nc's descriptor access for WriteNow (guarded by resp.mu; noRaw: nc has none).
	raw   syscall.RawConn
	noRaw bool

	// la is the read-ahead state with ChannelRequestLookahead > 0, else nil.
	la *lookahead
	// peerClosed: the read-ahead reader saw the client close or reset the connection.
	peerClosed atomic.Bool

	mu   sync.Mutex
	idle bool // waiting for the first byte of a request; Shutdown may close it

	// readUntil and writeUntil are the deadlines armed on nc (unix nanos; 0: none or unknown)
	// when no read-ahead goroutine shares the connection; see armRead.
	readUntil, writeUntil int64
}

func newConn(s *Server, nc net.Conn, l *listener) *conn {
	c := &conn{srv: s, nc: nc, ln: l, serverPort: l.port}
	if l.isUnix {
		// UnixWSGIServer.fix_addr: ("localhost", None).
		c.remoteAddr, c.remotePort = []byte("localhost"), []byte("None")
	} else if host, port, err := net.SplitHostPort(nc.RemoteAddr().String()); err == nil {
		c.remoteAddr, c.remotePort = []byte(host), []byte(port)
	} else {
		c.remoteAddr, c.remotePort = []byte(nc.RemoteAddr().String()), []byte("None")
	}
	c.resp.c = c
	c.resp.cond.L = &c.resp.mu
	c.wreq.Out = &c.resp
	c.wreq.Disconnected = c.disconnected
	return c
}

// wakeIdle makes a connection that is waiting for a new request give up (Shutdown).
func (c *conn) wakeIdle() {
	c.mu.Lock()
	if c.idle {
		c.nc.SetReadDeadline(time.Now())
		c.readUntil = 0
	}
	c.mu.Unlock()
}

func (c *conn) serve() {
	defer c.srv.removeConn(c)
	defer c.cleanupBody()
	defer c.resp.closeSpool()
	if c.srv.cfg.ChannelRequestLookahead > 0 {
		c.serveLookahead()
		return
	}
	for {
		n, ok := c.readHead()
		if !ok {
			c.nc.Close()
			return
		}
		if !c.handle(n) {
			c.lingerClose()
			return
		}
		if c.srv.inShut.Load() {
			c.lingerClose()
			return
		}
	}
}

// readHead reads until rbuf holds a whole request head and returns its length. It answers
// and returns false for a bad request, an idle timeout, EOF or shutdown.
func (c *conn) readHead() (int, bool) {
	n, perr, _ := c.nextHead()
	if perr != nil {
		c.sendParseError(perr)
		return 0, false
	}
	return n, n > 0
}

// nextHead reads until rbuf holds a whole request head and returns its length. perr is the
// parser's refusal, to be answered with an error page; rerr is the read error (already logged
// when Waitress would) after which the connection is done.
func (c *conn) nextHead() (n int, perr, rerr error) {
	s := c.srv
	// The previous request is done with: move pipelined input to the front.
	if c.r0 > 0 {
		c.r1 = copy(c.rbuf, c.rbuf[c.r0:c.r1])
		c.r0 = 0
	}
	if c.rbuf == nil {
		c.rbuf = make([]byte, s.cfg.RecvBytes)
	}
	if c.r1 == 0 {
		// The deadline is set under mu so that Shutdown's wakeIdle cannot slip in between
		// the check and the deadline and be overridden.
		c.mu.Lock()
		if s.inShut.Load() {
			c.mu.Unlock()
			return 0, nil, net.ErrClosed
		}
		c.idle = true
		ok := c.armRead()
		c.mu.Unlock()
		if !ok {
			return 0, nil, net.ErrClosed
		}
	} else if !c.armRead() {
		return 0, nil, net.ErrClosed
	}
	for {
		if c.r1 > 0 {
			n, err := http1.ParseHead(c.rbuf[:c.r1], s.limits, &c.req)
			if err != nil {
				return 0, err, nil
			}
			if n > 0 {
				return n, nil, nil
			}
		}
		if c.r1 == len(c.rbuf) {
			// ParseHead refuses a head once the buffer holds MaxRequestHeaderSize bytes, so
			// the buffer never needs to grow past that.
			nb := make([]byte, min(2*len(c.rbuf), s.cfg.MaxRequestHeaderSize+s.cfg.RecvBytes))
			copy(nb, c.rbuf[:c.r1])
			c.rbuf = nb
		}
		n, err := c.nc.Read(c.rbuf[c.r1:])
		if n > 0 {
			if c.r1 == 0 {
				c.mu.Lock()
				c.idle = false
				c.mu.Unlock()
				// The head must arrive within ChannelTimeout of its first byte.
				c.armRead()
			}
			c.r1 += n
			continue
		}
		if err != nil {
			if c.r1 == 0 && c.la != nil && isTimeout(err) && c.la.keepWaiting(c) {
				// Lookahead: an earlier request is still running, so the connection is
				// not idle yet.
				continue
			}
			c.mu.Lock()
			c.idle = false
			c.mu.Unlock()
			c.readError(err)
			return 0, nil, err
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// readError logs a failed read when Waitress would (only unexpected socket errors).
func (c *conn) readError(err error) {
	if c.srv.cfg.LogSocketErrors && !quietNetError(err) {
		c.srv.logf(levelError, "Socket error\n%v", err)
	}
}

// quietNetError reports errors that mean the peer went away or a deadline passed, which
// Waitress does not log (wasyncore treats ECONNRESET, EPIPE, ... as a plain close).
func quietNetError(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range quietErrnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// sendParseError answers a refused request with Waitress's error page and leaves the
// connection to be closed (ErrorTask: set_close_on_finish).
func (c *conn) sendParseError(err error) {
	var he *http1.Error
	if !errors.As(err, &he) {
		he = &http1.Error{Status: 400, Reason: "Bad Request", Detail: err.Error(), Major: 1, Minor: 0}
	}
	c.writeErrorPage(he, "")
	c.lingerClose()
}

// writeErrorPage writes a whole error response in one write.
func (c *conn) writeErrorPage(he *http1.Error, reqConn string) {
	s := c.srv
	status, headers, body := he.PageIdent(s.cfg.Ident)
	rh := http1.ResponseHead{
		Major: he.Major, Minor: he.Minor, ReqConnection: reqConn,
		Status: status, Headers: headers, HasBody: true, Close: true,
		Date: s.dates.get(), Ident: s.cfg.Ident,
	}
	if rh.Major != 1 {
		rh.Major, rh.Minor = 1, 0
	}
	out, _, _, _ := rh.Append(nil)
	out = append(out, body...)
	c.armWrite()
	if _, err := c.nc.Write(out); err != nil {
		c.writeError(err)
	}
}

func (c *conn) writeError(err error) {
	if c.srv.cfg.LogSocketErrors && !quietNetError(err) {
		c.srv.logf(levelError, "Socket error\n%v", err)
	}
}

// lingerClose closes the connection after letting the peer read what we sent: it shuts down
// our side, then discards input for a moment so unread request bytes do not make the kernel
// reset the connection under the response.
func (c *conn) lingerClose() {
	type closeWriter interface{ CloseWrite() error }
	if cw, ok := c.nc.(closeWriter); ok && !c.srv.forced.Load() {
		if cw.CloseWrite() == nil {
			c.nc.SetReadDeadline(time.Now().Add(lingerTimeout))
			c.readUntil = 0
			var scratch [4096]byte
			for total := 0; total < 1<<20; {
				n, err := c.nc.Read(scratch[:])
				total += n
				if err != nil {
					break
				}
			}
		}
	}
	c.nc.Close()
}

// handle reads the body of the request whose head is rbuf[:n], runs it and writes the
// response. It reports whether the connection may carry another request.
func (c *conn) handle(n int) bool {
	c.r0 = n
	body, bodyLen, page, err := c.readRequest()
	if page != nil {
		c.writeErrorPage(page, c.req.ConnectionOption())
		return false
	}
	if err != nil {
		c.readError(err)
		return false
	}
	keep := c.run(&c.req, body, c.bodyFile, bodyLen)
	c.finishRequest()
	return keep
}

// readRequest reads the body of c.req, whose head ends at c.r0. page is the error page to
// answer with when the request is refused; err is a read error.
func (c *conn) readRequest() (body []byte, bodyLen int64, page *http1.Error, err error) {
	s := c.srv
	r := &c.req
	minor := r.Minor
	// Content-Length at or above max_request_body_size: refused before reading (parser.received).
	if r.ContentLength >= s.cfg.MaxRequestBodySize {
		return nil, 0, &http1.Error{Status: 413, Reason: "Request Entity Too Large",
			Detail: "exceeds max_body of " + strconv.FormatInt(s.cfg.MaxRequestBodySize, 10),
			Major:  1, Minor: minor}, nil
	}
	body, bodyLen, err = c.readBody()
	if err != nil {
		var he *http1.Error
		if errors.As(err, &he) {
			if he.Major == 0 {
				he.Major, he.Minor = 1, minor
			}
			return nil, 0, he, nil
		}
		var se *spoolError
		if errors.As(err, &se) {
			c.srv.logf(levelError, "Exception while receiving the request body for %s\n%v", r.Path, se)
			return nil, 0, &http1.Error{Status: 500, Reason: "Internal Server Error",
				Detail: "The server encountered an unexpected internal server error", Major: 1, Minor: minor}, nil
		}
		return nil, 0, nil, err
	}
	return body, bodyLen, nil, nil
}

// run hands a fully read request to the application and writes its response. It reports
// whether the connection may carry another request.
func (c *conn) run(r *http1.Request, body []byte, bodyFile *os.File, bodyLen int64) bool {
	s := c.srv
	c.wreq.Body, c.wreq.BodyFile = body, bodyFile
	badProxy := c.buildEnviron(r, bodyLen)
	c.wreq.Environ = c.env

	c.resp.reset(r)
	var start time.Time
	if s.cfg.AccessLog != nil {
		start = time.Now()
	}
	if badProxy != nil {
		// proxy_headers_middleware answers through the WSGI path with
		// BadRequest(...).wsgi_response, whose page says "(generated by server)".
		he := &http1.Error{Status: 400, Reason: "Bad Request", Detail: badProxy.Detail()}
		status, headers, page := he.PageIdent("")
		hs := make([]wsgi.Header, 0, 1)
		for _, h := range headers {
			if h[0] == "Content-Type" {
				hs = append(hs, wsgi.Header{Name: h[0], Value: h[1]})
			}
		}
		c.resp.hold = false
		c.resp.Start(status, hs)
		c.resp.Body(page)
		c.resp.Done(nil)
	} else {
		// ConnectionLimit: wait for a slot; the slot is released by Output.Done.
		s.slots <- struct{}{}
		c.resp.holdsSlot = true
		s.disp.Submit(&c.wreq)
	}
	keep := c.resp.writeLoop()
	if s.cfg.AccessLog != nil {
		c.logAccess(start)
	}
	return keep
}

// finishRequest releases what the request held once the application is done with it.
func (c *conn) finishRequest() {
	c.cleanupBody()
	if cap(c.bodyBuf) > maxKeptBody {
		c.bodyBuf = nil
	}
	c.dropRequest()
}

// dropRequest drops references into the finished request so they don't pin big buffers.
func (c *conn) dropRequest() {
	clear(c.env)
	c.env = c.env[:0]
	c.wreq.Environ, c.wreq.Body, c.wreq.BodyFile = nil, nil, nil
}

func (c *conn) cleanupBody() {
	if c.bodyFile != nil {
		c.bodyFile.Close()
		c.bodyFile = nil
	}
}
