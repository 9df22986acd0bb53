package server

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waitress-go/waitress-go/internal/wsgi"
)

// pollDisconnected polls r.Disconnected for up to d and reports whether it became true.
func pollDisconnected(r *wsgi.Request, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if r.Disconnected() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// TestLookaheadClientDisconnected: a client pipelines a second request behind a slow one (sent
// once the first runs) and closes. With lookahead 2 the server reads past the second request,
// sees the close, and Disconnected turns true; the queued request is not run. Without
// lookahead the unread request hides the close, as in Waitress. With lookahead 1 the server
// reads the second request and then stops reading (Waitress would not see the close); the
// socket peek still notices it, and the queued request runs as in Waitress.
func TestLookaheadClientDisconnected(t *testing.T) {
	for _, tc := range []struct {
		lookahead       int
		want, queuedRun bool
	}{{0, false, true}, {1, true, true}, {2, true, false}} {
		t.Run("lookahead="+strconv.Itoa(tc.lookahead), func(t *testing.T) {
			cfg := defaultCfg()
			cfg.ChannelRequestLookahead = tc.lookahead
			queued := make(chan struct{}, 1)
			started := make(chan struct{})
			result := make(chan bool, 1)
			ts := startServer(t, cfg, func(r *wsgi.Request) {
				path, _ := env(r, "PATH_INFO")
				if path == "/slow" {
					if r.Disconnected() {
						t.Error("Disconnected true before the client closed")
					}
					close(started)
					result <- pollDisconnected(r, 700*time.Millisecond)
				} else {
					queued <- struct{}{}
				}
				respond(r, "200 OK", hdr("Content-Length", "2"), "ok")
			})
			c := dial(t, ts.addr)
			c.send(get("/slow"))
			<-started
			c.send(get("/queued"))
			time.Sleep(50 * time.Millisecond)
			c.nc.Close()
			if got := <-result; got != tc.want {
				t.Fatalf("Disconnected = %v, want %v", got, tc.want)
			}
			select {
			case <-queued:
				if !tc.queuedRun {
					t.Fatal("the request queued behind a disconnect was run")
				}
			case <-time.After(200 * time.Millisecond):
				if tc.queuedRun {
					t.Fatal("the queued request did not run")
				}
			}
			if !tc.queuedRun {
				ts.log.waitFor(t, func(e logEntry) bool {
					return e.msg == "Client disconnected while serving /slow"
				})
			}
		})
	}
}

// TestLookaheadPipelinedOrder: with lookahead, pipelined requests with every kind of body
// (small, spooled, chunked) are answered in order with their own bodies, while the handler
// finishes them at different speeds.
func TestLookaheadPipelinedOrder(t *testing.T) {
	cfg := defaultCfg()
	cfg.ChannelRequestLookahead = 2
	cfg.InbufOverflow = 1000
	ts := startServer(t, cfg, func(r *wsgi.Request) {
		body := r.Body
		if r.BodyFile != nil {
			body, _ = io.ReadAll(r.BodyFile)
		}
		if q, _ := env(r, "QUERY_STRING"); q == "slow" {
			time.Sleep(30 * time.Millisecond)
		}
		path, _ := env(r, "PATH_INFO")
		out := path + ":" + string(body)
		respond(r, "200 OK", hdr("Content-Length", strconv.Itoa(len(out))), out)
	})
	big := strings.Repeat("B", 5000)
	var reqs []string
	var want []string
	for i := 0; i < 12; i++ {
		path := "/r" + strconv.Itoa(i)
		q := ""
		if i%3 == 0 {
			q = "?slow"
		}
		var body string
		switch i % 4 {
		case 0:
			reqs = append(reqs, "GET "+path+q+" HTTP/1.1\r\nHost: x\r\n\r\n")
		case 1:
			body = "small" + strconv.Itoa(i)
			reqs = append(reqs, "POST "+path+q+" HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
		case 2:
			body = big + strconv.Itoa(i)
			reqs = append(reqs, "POST "+path+q+" HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
		case 3:
			body = big + "c" + strconv.Itoa(i)
			reqs = append(reqs, "POST "+path+q+" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"+
				strconv.FormatInt(int64(len(body)), 16)+"\r\n"+body+"\r\n0\r\n\r\n")
		}
		want = append(want, path+":"+body)
	}
	c := dial(t, ts.addr)
	go io.WriteString(c.nc, strings.Join(reqs, ""))
	for i, w := range want {
		resp, body := c.response("GET")
		if resp.StatusCode != 200 || body != w {
			t.Fatalf("response %d: %d %.40q, want %.40q", i, resp.StatusCode, body, w)
		}
	}
}

// readCountingListener counts the bytes the server reads from its connections.
type readCountingListener struct {
	net.Listener
	read *atomic.Int64
}

func (l readCountingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return readCountingConn{Conn: c, read: l.read}, nil
}

type readCountingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c readCountingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// TestLookaheadBounded: while one request runs, the server reads at most lookahead further
// requests, and stops reading after that (channel.readable).
func TestLookaheadBounded(t *testing.T) {
	cfg := defaultCfg()
	cfg.ChannelRequestLookahead = 1
	release := make(chan struct{})
	var read atomic.Int64
	ts := startServerOn(t, cfg, func(r *wsgi.Request) {
		if p, _ := env(r, "PATH_INFO"); p == "/block" {
			<-release
		}
		respond(r, "200 OK", hdr("Content-Length", "2"), "ok")
	}, func(l net.Listener) net.Listener { return readCountingListener{l, &read} })
	c := dial(t, ts.addr)
	r1, r2, r3 := get("/block"), get("/second"), get("/third")
	c.send(r1)
	time.Sleep(50 * time.Millisecond)
	c.send(r2)
	time.Sleep(50 * time.Millisecond)
	c.send(r3)
	time.Sleep(100 * time.Millisecond)
	if got, want := read.Load(), int64(len(r1)+len(r2)); got != want {
		t.Fatalf("server read %d bytes while the first request ran, want %d (one request ahead)", got, want)
	}
	close(release)
	for i := 0; i < 3; i++ {
		if resp, body := c.response("GET"); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("response %d: %d %q", i, resp.StatusCode, body)
		}
	}
}

// TestLookaheadContinueWaits: an Expect: 100-continue request read ahead gets its interim
// response only after the response before it, so the output stays in order.
func TestLookaheadContinueWaits(t *testing.T) {
	cfg := defaultCfg()
	cfg.ChannelRequestLookahead = 1
	release := make(chan struct{})
	ts := startServer(t, cfg, func(r *wsgi.Request) {
		if p, _ := env(r, "PATH_INFO"); p == "/block" {
			<-release
		}
		respond(r, "200 OK", hdr("Content-Length", strconv.Itoa(len(r.Body))), string(r.Body))
	})
	c := dial(t, ts.addr)
	c.send(get("/block") + "POST /post HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	c.nc.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	if n, err := c.br.Peek(1); err == nil {
		t.Fatalf("server sent %q while the first request was running", n)
	}
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	close(release)
	if resp, body := c.response("GET"); resp.StatusCode != 200 || body != "" {
		t.Fatalf("first response: %d %q", resp.StatusCode, body)
	}
	line := make([]byte, len(continueLine))
	if _, err := io.ReadFull(c.br, line); err != nil || !bytes.Equal(line, continueLine) {
		t.Fatalf("got %q, %v; want 100 Continue after the first response", line, err)
	}
	c.send("hello")
	if resp, body := c.response("POST"); resp.StatusCode != 200 || body != "hello" {
		t.Fatalf("second response: %d %q", resp.StatusCode, body)
	}
}

// TestLookaheadErrorInOrder: a bad request read ahead is answered after the responses before
// it, exactly as without lookahead, then the connection closes.
func TestLookaheadErrorInOrder(t *testing.T) {
	var pages []string
	for _, lookahead := range []int{0, 2} {
		cfg := defaultCfg()
		cfg.ChannelRequestLookahead = lookahead
		ts := startServer(t, cfg, func(r *wsgi.Request) {
			time.Sleep(50 * time.Millisecond)
			respond(r, "200 OK", hdr("Content-Length", "2"), "ok")
		})
		c := dial(t, ts.addr)
		c.send(get("/a") + get("/b") + "GET /c HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n" + get("/d"))
		for i := 0; i < 2; i++ {
			if resp, body := c.response("GET"); resp.StatusCode != 200 || body != "ok" {
				t.Fatalf("lookahead %d: response %d: %d %q", lookahead, i, resp.StatusCode, body)
			}
		}
		page := dropDate(c.rest())
		if !strings.HasPrefix(page, "HTTP/1.1 400 Bad Request\r\n") {
			t.Fatalf("lookahead %d: third response %q, want a 400 page then close", lookahead, page)
		}
		pages = append(pages, page)
	}
	if pages[0] != pages[1] {
		t.Fatalf("error page differs with lookahead:\n%q\n%q", pages[0], pages[1])
	}
}

// TestLongRequestNotDisconnected: a request running longer than ChannelTimeout neither sees
// Disconnected turn true nor loses its connection, in either mode; the connection is closed
// only once it has then been idle for ChannelTimeout.
func TestLongRequestNotDisconnected(t *testing.T) {
	for _, lookahead := range []int{0, 1} {
		t.Run("lookahead="+strconv.Itoa(lookahead), func(t *testing.T) {
			cfg := defaultCfg()
			cfg.ChannelTimeout = 200 * time.Millisecond
			cfg.ChannelRequestLookahead = lookahead
			ts := startServer(t, cfg, func(r *wsgi.Request) {
				if pollDisconnected(r, 500*time.Millisecond) {
					respond(r, "500 Oops", hdr("Content-Length", "12"), "disconnected")
					return
				}
				respond(r, "200 OK", hdr("Content-Length", "2"), "ok")
			})
			c := dial(t, ts.addr)
			c.send(get("/long"))
			if resp, body := c.response("GET"); resp.StatusCode != 200 || body != "ok" {
				t.Fatalf("got %d %q", resp.StatusCode, body)
			}
			start := time.Now()
			c.expectClosed()
			if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
				t.Fatalf("idle connection closed after %v, want about 200ms", d)
			}
		})
	}
}
