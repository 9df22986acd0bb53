package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waitress-go/waitress-go/internal/wsgi"
)

func echoPath(r *wsgi.Request) {
	p, _ := env(r, "PATH_INFO")
	respond(r, "200 OK", hdr("Content-Length", strconv.Itoa(len(p))), p)
}

func TestKeepAlivePipelinedInOrder(t *testing.T) {
	var running atomic.Int32
	ts := startServer(t, defaultCfg(), func(r *wsgi.Request) {
		if running.Add(1) != 1 {
			t.Error("two requests of one connection ran at once")
		}
		p, _ := env(r, "PATH_INFO")
		if p == "/slow" {
			time.Sleep(50 * time.Millisecond)
		}
		running.Add(-1)
		respond(r, "200 OK", hdr("Content-Length", strconv.Itoa(len(p))), p)
	})
	c := dial(t, ts.addr)
	c.send(get("/slow") + get("/b") + "\r\n" + get("/c"))
	for _, want := range []string{"/slow", "/b", "/c"} {
		resp, body := c.response("GET")
		if body != want || resp.StatusCode != 200 || resp.Close {
			t.Fatalf("got %d %q close=%v, want %q", resp.StatusCode, body, resp.Close, want)
		}
	}
	// The connection stays open for more.
	c.send(get("/d"))
	if _, body := c.response("GET"); body != "/d" {
		t.Fatalf("got %q", body)
	}
}

// countingListener counts Write calls on accepted connections.
type countingListener struct {
	net.Listener
	writes *atomic.Int32
}

type countingConn struct {
	net.Conn
	writes *atomic.Int32
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.writes}, nil
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func TestSmallResponseIsOneWrite(t *testing.T) {
	var writes atomic.Int32
	ts := startServerOn(t, defaultCfg(), echoPath, func(l net.Listener) net.Listener {
		return countingListener{l, &writes}
	})
	c := dial(t, ts.addr)
	for i := 0; i < 5; i++ {
		c.send(get("/hello"))
		c.response("GET")
	}
	if n := writes.Load(); n != 5 {
		t.Fatalf("5 small responses took %d writes, want 5", n)
	}
}

func TestRequestBodies(t *testing.T) {
	tests := []struct {
		name, req, wantBody, wantCL string
	}{
		{"content-length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", "hello", "5"},
		{"chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", "11"},
		{"chunked empty", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "", "0"},
		{"no body", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, defaultCfg(), func(r *wsgi.Request) {
				cl, _ := env(r, "CONTENT_LENGTH")
				_, te := env(r, "HTTP_TRANSFER_ENCODING")
				b := fmt.Sprintf("%s|%s|%v", r.Body, cl, te)
				respond(r, "200 OK", hdr("Content-Length", strconv.Itoa(len(b))), b)
			})
			c := dial(t, ts.addr)
			// Send byte by byte to exercise every split point.
			for i := 0; i < len(tt.req); i++ {
				c.send(tt.req[i : i+1])
			}
			_, body := c.response("GET")
			if want := tt.wantBody + "|" + tt.wantCL + "|false"; body != want {
				t.Fatalf("got %q, want %q", body, want)
			}
		})
	}
}

func TestExpectContinue(t *testing.T) {
	ts := startServer(t, defaultCfg(), func(r *wsgi.Request) {
		respond(r, "200 OK", hdr("Content-Length", strconv.Itoa(len(r.Body))), string(r.Body))
	})
	t.Run("body not sent yet", func(t *testing.T) {
		c := dial(t, ts.addr)
		c.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		line := make([]byte, len(continueLine))
		if _, err := io.ReadFull(c.br, line); err != nil || string(line) != string(continueLine) {
			t.Fatalf("got %q, %v", line, err)
		}
		c.send("hello")
		if _, body := c.response("POST"); body != "hello" {
			t.Fatalf("got %q", body)
		}
	})
	t.Run("body already sent", func(t *testing.T) {
		c := dial(t, ts.addr)
		c.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello")
		resp, body := c.response("POST")
		if resp.StatusCode != 200 || body != "hello" {
			t.Fatalf("got %d %q (a 100 Continue was sent?)", resp.StatusCode, body)
		}
	})
	t.Run("chunked", func(t *testing.T) {
		c := dial(t, ts.addr)
		c.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n")
		line := make([]byte, len(continueLine))
		if _, err := io.ReadFull(c.br, line); err != nil || string(line) != string(continueLine) {
			t.Fatalf("got %q, %v", line, err)
		}
		c.send("3\r\nabc\r\n0\r\n\r\n")
		if _, body := c.response("POST"); body != "abc" {
			t.Fatalf("got %q", body)
		}
	})
}

func TestBodySpoolThreshold(t *testing.T) {
	const overflow = 1000
	type seen struct {
		inMemory bool
		file     *os.File
		name     string
		onDisk   bool
		content  string
	}
	results := make(chan seen, 1)
	cfg := defaultCfg()
	cfg.InbufOverflow = overflow
	ts := startServer(t, cfg, func(r *wsgi.Request) {
		var s seen
		s.inMemory = r.BodyFile == nil
		if r.BodyFile != nil {
			s.file = r.BodyFile
			s.name = r.BodyFile.Name()
			_, err := os.Stat(s.name)
			s.onDisk = err == nil
			b, _ := io.ReadAll(r.BodyFile)
			s.content = string(b)
		} else {
			s.content = string(r.Body)
		}
		results <- s
		respond(r, "200 OK", hdr("Content-Length", "0"))
	})
	for _, tt := range []struct {
		size    int
		chunked bool
		spooled bool
	}{
		{overflow - 1, false, false},
		{overflow, false, true},
		{overflow - 1, true, false},
		{overflow, true, true},
		{5 * overflow, true, true},
	} {
		t.Run(fmt.Sprintf("%d chunked=%v", tt.size, tt.chunked), func(t *testing.T) {
			body := strings.Repeat("x", tt.size-1) + "y"
			c := dial(t, ts.addr)
			if tt.chunked {
				c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
				for i := 0; i < len(body); i += 300 {
					part := body[i:min(i+300, len(body))]
					c.send(fmt.Sprintf("%x\r\n%s\r\n", len(part), part))
				}
				c.send("0\r\n\r\n")
			} else {
				c.send(fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(body)))
				time.Sleep(10 * time.Millisecond) // arrive separately from the head
				c.send(body)
			}
			s := <-results
			c.response("POST")
			if s.inMemory == tt.spooled {
				t.Fatalf("in memory = %v, want spooled = %v", s.inMemory, tt.spooled)
			}
			if s.content != body {
				t.Fatalf("body differs: %d bytes", len(s.content))
			}
			if tt.spooled {
				if s.onDisk {
					t.Fatalf("spool file %s still has a name on disk", s.name)
				}
				// The server closes the spool once the response is done.
				deadline := time.Now().Add(2 * time.Second)
				for {
					if _, err := s.file.Stat(); err != nil {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("spool file still open after the response")
					}
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
}

func Test413BeforeReadingBody(t *testing.T) {
	cfg := defaultCfg()
	cfg.MaxRequestBodySize = 100
	ts := startServer(t, cfg, func(r *wsgi.Request) {
		t.Error("application called")
		respond(r, "200 OK", nil)
	})
	c := dial(t, ts.addr)
	// The body is never sent: the answer must not wait for it.
	c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
	got := dropDate(c.rest())
	want := "HTTP/1.1 413 Request Entity Too Large\r\nConnection: close\r\nContent-Length: 78\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nServer: waitress\r\n\r\n" +
		"Request Entity Too Large\r\n\r\nexceeds max_body of 100\r\n\r\n(generated by waitress)"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}

	// A chunked body that grows too large is refused while it is read.
	c = dial(t, ts.addr)
	c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	c.send(fmt.Sprintf("%x\r\n%s\r\n", 200, strings.Repeat("z", 200)))
	if got := c.rest(); !strings.HasPrefix(got, "HTTP/1.1 413 Request Entity Too Large\r\n") {
		t.Fatalf("got %q", got)
	}
}

func TestBadRequestPage(t *testing.T) {
	ts := startServer(t, defaultCfg(), func(r *wsgi.Request) {
		t.Error("application called")
	})
	c := dial(t, ts.addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
	got := dropDate(c.rest())
	want := "HTTP/1.0 400 Bad Request\r\nConnection: close\r\nContent-Length: 56\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nServer: waitress\r\n\r\n" +
		"Bad Request\r\n\r\nInvalid header\r\n\r\n(generated by waitress)"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func TestResponseFraming(t *testing.T) {
	tests := []struct {
		name    string
		req     string
		status  string
		headers []wsgi.Header
		body    []string
		want    string // raw response without Date
		closed  bool
		log     string
	}{
		{
			name: "chunked", req: get("/"), status: "200 OK",
			headers: hdr("Content-Type", "text/plain"), body: []string{"hello", "", "world!"},
			want: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nServer: waitress\r\n" +
				"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n",
			closed: true,
		},
		{
			name: "content-length", req: get("/"), status: "200 OK",
			headers: hdr("content-length", "5"), body: []string{"he", "llo"},
			want: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: waitress\r\n\r\nhello",
		},
		{
			name: "HEAD keeps Content-Length, sends no body", req: "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", status: "200 OK",
			headers: hdr("Content-Length", "5"), body: []string{"hello"},
			want: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: waitress\r\n\r\n",
		},
		{
			name: "HEAD without length", req: "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", status: "200 OK",
			body:   []string{"hello"},
			want:   "HTTP/1.1 200 OK\r\nConnection: close\r\nServer: waitress\r\nTransfer-Encoding: chunked\r\n\r\n",
			closed: true,
		},
		{
			name: "too much is truncated", req: get("/"), status: "200 OK",
			headers: hdr("Content-Length", "3"), body: []string{"hel", "lo"},
			want: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nServer: waitress\r\n\r\nhel",
			log:  "application-written content exceeded the number of bytes specified by Content-Length header (3)",
		},
		{
			name: "too little closes", req: get("/short"), status: "200 OK",
			headers: hdr("Content-Length", "10"), body: []string{"hi"},
			want:   "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nServer: waitress\r\n\r\nhi",
			closed: true,
			log:    "application returned too few bytes (2) for specified Content-Length (10) via app_iter",
		},
		{
			name: "204 ignores body", req: get("/"), status: "204 No Content",
			body:   []string{"x"},
			want:   "HTTP/1.1 204 No Content\r\nConnection: close\r\nServer: waitress\r\n\r\n",
			closed: true,
			log:    "application-written content was ignored due to HTTP response that may not contain a message-body: (204 No Content)",
		},
		{
			name: "HTTP/1.0", req: "GET / HTTP/1.0\r\n\r\n", status: "200 OK",
			headers: hdr("Content-Length", "2"), body: []string{"ok"},
			want:   "HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Length: 2\r\nServer: waitress\r\n\r\nok",
			closed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, defaultCfg(), func(r *wsgi.Request) {
				respond(r, tt.status, tt.headers, tt.body...)
			})
			c := dial(t, ts.addr)
			c.send(tt.req)
			var got string
			if tt.closed {
				got = c.rest()
			} else {
				got = readN(t, c, len(tt.want)+len("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"))
				// And the connection stays usable.
				c.send(tt.req)
				readN(t, c, len(tt.want)+len("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"))
			}
			if got = dropDate(got); got != tt.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tt.want)
			}
			if tt.log != "" {
				ts.log.waitFor(t, func(e logEntry) bool {
					return e.msg == tt.log && e.level == slog.LevelWarn && e.name == "waitress"
				})
			}
		})
	}
}

func readN(t *testing.T, c *client, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(c.br, b); err != nil {
		t.Fatalf("read %d bytes: %v (got %q)", n, err, b)
	}
	return string(b)
}

func TestAppErrors(t *testing.T) {
	tb := "Traceback (most recent call last):\n  File \"app.py\", line 1\nValueError: boom\n"
	appErr := &wsgi.AppError{Message: "ValueError: boom", Traceback: tb}
	t.Run("before start", func(t *testing.T) {
		for _, expose := range []bool{false, true} {
			cfg := defaultCfg()
			cfg.ExposeTracebacks = expose
			ts := startServer(t, cfg, func(r *wsgi.Request) {
				r.Out.Start("200 OK", hdr("Content-Length", "2")) // discarded
				r.Out.Done(appErr)
			})
			c := dial(t, ts.addr)
			c.send(get("/boom%20x"))
			detail := "The server encountered an unexpected internal server error"
			if expose {
				detail = tb
			}
			body := "Internal Server Error\r\n\r\n" + detail + "\r\n\r\n(generated by waitress)"
			want := "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: " +
				strconv.Itoa(len(body)) + "\r\nContent-Type: text/plain; charset=utf-8\r\nServer: waitress\r\n\r\n" + body
			if got := dropDate(c.rest()); got != want {
				t.Fatalf("expose=%v got\n%q\nwant\n%q", expose, got, want)
			}
			e := ts.log.waitFor(t, func(e logEntry) bool { return e.level == slog.LevelError })
			if want := "Exception while serving /boom x\n" + strings.TrimRight(tb, "\n"); e.msg != want || e.name != "waitress" {
				t.Fatalf("logged %q, want %q", e.msg, want)
			}
		}
	})
	t.Run("after start", func(t *testing.T) {
		ts := startServer(t, defaultCfg(), func(r *wsgi.Request) {
			r.Out.Start("200 OK", nil)
			r.Out.Body([]byte("partial"))
			r.Out.Done(&wsgi.AppError{Message: "ValueError: boom", Traceback: tb, HeadersSent: true})
		})
		c := dial(t, ts.addr)
		c.send(get("/"))
		got := dropDate(c.rest())
		want := "HTTP/1.1 200 OK\r\nConnection: close\r\nServer: waitress\r\nTransfer-Encoding: chunked\r\n\r\n7\r\npartial\r\n"
		if got != want {
			t.Fatalf("got\n%q\nwant\n%q (no last chunk)", got, want)
		}
	})
}

func TestIdleTimeoutCloses(t *testing.T) {
	cfg := defaultCfg()
	cfg.ChannelTimeout = 200 * time.Millisecond
	ts := startServer(t, cfg, echoPath)
	c := dial(t, ts.addr)
	c.send(get("/a"))
	c.response("GET")
	start := time.Now()
	c.expectClosed()
	if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
		t.Fatalf("idle connection closed after %v", d)
	}
	// A client that starts a head but never finishes it is cut off too.
	c = dial(t, ts.addr)
	c.send("GET / HTTP/1.1\r\n")
	c.expectClosed()
}

func TestShutdownDrainsInFlight(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	cfg := defaultCfg()
	lg := &testLogger{}
	s, err := New(cfg, &fakeDispatcher{h: func(r *wsgi.Request) {
		close(started)
		<-release
		respond(r, "200 OK", hdr("Content-Length", "4"), "done")
	}}, lg)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := net.Listen("tcp4", "127.0.0.1:0")
	s.AddListener(l)
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()

	idle := dial(t, l.Addr().String())
	busy := dial(t, l.Addr().String())
	busy.send(get("/"))
	<-started

	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(t.Context()) }()
	idle.expectClosed()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a request was running", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Fatal("still accepting after Shutdown")
	}
	close(release)
	if _, body := busy.response("GET"); body != "done" {
		t.Fatalf("in-flight response: %q", body)
	}
	busy.expectClosed()
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

func TestHeaderTooLarge(t *testing.T) {
	cfg := defaultCfg()
	cfg.MaxRequestHeaderSize = 1000
	cfg.RecvBytes = 100 // the read buffer has to grow to reach the limit
	ts := startServer(t, cfg, echoPath)
	c := dial(t, ts.addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2000) + "\r\n\r\n")
	got := c.rest()
	if !strings.HasPrefix(got, "HTTP/1.0 431 Request Header Fields Too Large\r\n") ||
		!strings.HasSuffix(got, "exceeds max_header of 1000\r\n\r\n(generated by waitress)") {
		t.Fatalf("got %q", got)
	}
	// Just under the limit is served.
	c = dial(t, ts.addr)
	head := "GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: "
	c.send(head + strings.Repeat("a", 999-len(head)-4) + "\r\n\r\n")
	if _, body := c.response("GET"); body != "/ok" {
		t.Fatalf("got %q", body)
	}
}

func TestHTTP10KeepAlive(t *testing.T) {
	ts := startServer(t, defaultCfg(), echoPath)
	c := dial(t, ts.addr)
	for i := 0; i < 2; i++ {
		c.send("GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		resp, body := c.response("GET")
		if body != "/k" || resp.Header.Get("Connection") != "Keep-Alive" {
			t.Fatalf("got %q, Connection %q", body, resp.Header.Get("Connection"))
		}
	}
}

func TestShutdownDeadline(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	s, err := New(defaultCfg(), &fakeDispatcher{h: func(r *wsgi.Request) {
		<-block
		respond(r, "200 OK", hdr("Content-Length", "0"))
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := net.Listen("tcp4", "127.0.0.1:0")
	s.AddListener(l)
	go s.Serve()
	c := dial(t, l.Addr().String())
	c.send(get("/"))
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v", err)
	}
	// The stuck request's connection was closed.
	c.expectClosed()
}
