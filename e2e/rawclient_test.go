package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawConn is a client connection that sends hand-written bytes and parses responses strictly:
// CRLF line ends, well-formed status line and header fields, exact body framing.
type rawConn struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

const rawTimeout = 15 * time.Second

func dialRaw(t testing.TB, s *server) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", s.addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, r: newReader(c)}
}

// send writes s as is.
func (c *rawConn) send(s string) {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(rawTimeout))
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// headerField is one response header line, in the order received.
type headerField struct{ Name, Value string }

// response is one parsed HTTP response.
type response struct {
	Proto, Reason string
	Code          int
	Header        []headerField
	Body          []byte
	Chunked       bool // body came with Transfer-Encoding: chunked
	CloseDelim    bool // body ran until the server closed the connection
}

// get returns the first value of the named header ("" if absent).
func (r *response) get(name string) string {
	for _, h := range r.Header {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// has reports whether the named header is present.
func (r *response) has(name string) bool {
	for _, h := range r.Header {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

// values returns every value of the named header.
func (r *response) values(name string) []string {
	var vs []string
	for _, h := range r.Header {
		if strings.EqualFold(h.Name, name) {
			vs = append(vs, h.Value)
		}
	}
	return vs
}

// names returns the header names in order.
func (r *response) names() []string {
	var ns []string
	for _, h := range r.Header {
		ns = append(ns, h.Name)
	}
	return ns
}

func (r *response) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d %s\n", r.Proto, r.Code, r.Reason)
	for _, h := range r.Header {
		fmt.Fprintf(&b, "%s: %s\n", h.Name, h.Value)
	}
	body := r.Body
	if len(body) > 300 {
		body = body[:300]
	}
	fmt.Fprintf(&b, "\n%q (%d bytes)", body, len(r.Body))
	return b.String()
}

var (
	statusLineRE = regexp.MustCompile(`^(HTTP/1\.[01]) ([1-9][0-9]{2}) ([^\r\n]*)$`)
	tokenRE      = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// readLine reads one CRLF-terminated line, rejecting a bare LF.
func (c *rawConn) readLine() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		if line != "" && err == io.EOF {
			return "", fmt.Errorf("connection closed mid-line after %q: %w", line, io.ErrUnexpectedEOF)
		}
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", fmt.Errorf("line without CRLF: %q", line)
	}
	return line[:len(line)-2], nil
}

// read parses one response to a request of the given method (HEAD responses have no body).
func (c *rawConn) read(method string) (*response, error) {
	c.c.SetReadDeadline(time.Now().Add(rawTimeout))
	line, err := c.readLine()
	if err != nil {
		return nil, fmt.Errorf("status line: %w", err)
	}
	m := statusLineRE.FindStringSubmatch(line)
	if m == nil {
		return nil, fmt.Errorf("malformed status line %q", line)
	}
	r := &response{Proto: m[1], Reason: m[3]}
	r.Code, _ = strconv.Atoi(m[2])
	for {
		line, err := c.readLine()
		if err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !tokenRE.MatchString(name) {
			return nil, fmt.Errorf("malformed header line %q", line)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, fmt.Errorf("control character in header %q", line)
		}
		r.Header = append(r.Header, headerField{name, strings.Trim(value, " \t")})
	}
	if r.Code < 200 || r.Code == 204 || r.Code == 304 || method == "HEAD" {
		return r, nil
	}
	te, cl := r.values("Transfer-Encoding"), r.values("Content-Length")
	switch {
	case len(te) > 0:
		if len(cl) > 0 {
			return nil, fmt.Errorf("response has both Transfer-Encoding and Content-Length")
		}
		if len(te) != 1 || !strings.EqualFold(te[0], "chunked") {
			return nil, fmt.Errorf("unexpected Transfer-Encoding %q", te)
		}
		r.Chunked = true
		r.Body, err = c.readChunked()
		if err != nil {
			return r, fmt.Errorf("chunked body: %w", err)
		}
	case len(cl) > 0:
		if len(cl) != 1 {
			return nil, fmt.Errorf("several Content-Length headers %q", cl)
		}
		n, err := strconv.ParseInt(cl[0], 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad Content-Length %q", cl[0])
		}
		r.Body = make([]byte, n)
		got, err := io.ReadFull(c.r, r.Body)
		r.Body = r.Body[:got]
		if err != nil {
			return r, fmt.Errorf("body: got %d of %d bytes: %w", got, n, err)
		}
	default:
		r.CloseDelim = true
		r.Body, err = io.ReadAll(c.r)
		if err != nil {
			return r, fmt.Errorf("close-delimited body: %w", err)
		}
	}
	return r, nil
}

func (c *rawConn) readChunked() ([]byte, error) {
	var body bytes.Buffer
	for {
		line, err := c.readLine()
		if err != nil {
			return body.Bytes(), err
		}
		sizeStr, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseUint(sizeStr, 16, 63)
		if err != nil {
			return body.Bytes(), fmt.Errorf("bad chunk size line %q", line)
		}
		if size == 0 {
			for { // trailer section
				line, err := c.readLine()
				if err != nil {
					return body.Bytes(), err
				}
				if line == "" {
					return body.Bytes(), nil
				}
			}
		}
		if _, err := io.CopyN(&body, c.r, int64(size)); err != nil {
			return body.Bytes(), err
		}
		if crlf, err := c.readLine(); err != nil || crlf != "" {
			return body.Bytes(), fmt.Errorf("chunk not followed by CRLF (%q, %v)", crlf, err)
		}
	}
}

// mustRead is read that fails the test on error.
func (c *rawConn) mustRead(method string) *response {
	c.t.Helper()
	r, err := c.read(method)
	if err != nil {
		c.t.Fatalf("reading response: %v (partial: %v)", err, r)
	}
	return r
}

// expectClosed checks that the server closes the connection within d without sending more.
func (c *rawConn) expectClosed(d time.Duration) {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(d))
	var buf [512]byte
	n, err := c.r.Read(buf[:])
	if n > 0 {
		c.t.Errorf("expected the connection to close, got %d more bytes: %q", n, buf[:n])
		return
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		c.t.Errorf("connection still open after %v", d)
		return
	}
	if !isClosedErr(err) {
		c.t.Errorf("expected EOF, got %v", err)
	}
}

// expectOpen checks that the connection stays open (nothing to read, no EOF) for d.
func (c *rawConn) expectOpen(d time.Duration) {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(d))
	var buf [512]byte
	n, err := c.r.Read(buf[:])
	if n > 0 {
		c.t.Errorf("unexpected %d bytes on an idle connection: %q", n, buf[:n])
		return
	}
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		c.t.Errorf("connection closed, want kept alive: %v", err)
	}
}

// get builds a minimal HTTP/1.1 request.
func get(path string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: localhost\r\n", path)
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// nextOrClosed checks that nothing but r was sent on c: if r announced Connection: close the
// connection must close without further bytes, otherwise a second request must get a clean
// response (stray body bytes would be parsed as its status line).
func (c *rawConn) nextOrClosed(r *response, s *server) {
	c.t.Helper()
	if strings.EqualFold(r.get("Connection"), "close") {
		c.expectClosed(5 * time.Second)
		return
	}
	c.send(get("/hello"))
	r2 := c.mustRead("GET")
	if r2.Code != 200 || string(r2.Body) != "hello\n" {
		c.t.Fatalf("request after %d response: %v", r.Code, r2)
	}
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReaderSize(c, 64*1024) }
