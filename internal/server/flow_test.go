package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/waitress-go/waitress-go/internal/wsgi"
)

// TestSlowClientWatermark checks that an application streaming to a client that does not
// read is paused at the high watermark (Body reports full, Wait blocks), and resumes when
// the client reads.
func TestSlowClientWatermark(t *testing.T) {
	const chunk = 64 << 10
	const total = 32 << 20
	cfg := defaultCfg()
	cfg.OutbufHighWatermark = 1 << 20
	cfg.OutbufOverflow = 256 << 10
	var produced atomic.Int64
	var waits atomic.Int32
	ts := startServer(t, cfg, func(r *wsgi.Request) {
		r.Out.Start("200 OK", hdr("Content-Length", strconv.Itoa(total)))
		p := bytes.Repeat([]byte("a"), chunk)
		for n := 0; n < total; n += chunk {
			produced.Add(chunk)
			if r.Out.Body(p) {
				waits.Add(1)
				if !r.Out.Wait() {
					break
				}
			}
		}
		r.Out.Done(nil)
	})
	c := dial(t, ts.addr)
	if tc, ok := c.nc.(*net.TCPConn); ok {
		tc.SetReadBuffer(64 << 10)
	}
	c.send(get("/"))
	time.Sleep(300 * time.Millisecond)
	stalled := produced.Load()
	// What the app produced while nobody read is bounded by the watermark plus what the kernel
	// buffers on both ends of a loopback connection.
	if stalled >= total/2 {
		t.Fatalf("application produced %d bytes while the client read nothing", stalled)
	}
	time.Sleep(100 * time.Millisecond)
	if again := produced.Load(); again != stalled {
		t.Fatalf("application kept producing (%d -> %d) while the client read nothing", stalled, again)
	}
	resp, body := c.response("GET")
	if resp.StatusCode != 200 || len(body) != total {
		t.Fatalf("got %d, %d bytes", resp.StatusCode, len(body))
	}
	if waits.Load() == 0 {
		t.Fatal("Body never reported full")
	}
}

// TestLargeStreamBoundedMemory streams a large chunked response to a slow reader and checks
// that the server's heap stays small (output above OutbufOverflow goes to a spool file).
func TestLargeStreamBoundedMemory(t *testing.T) {
	const chunk = 256 << 10
	total := 256 << 20
	if testing.Short() {
		total = 32 << 20
	}
	cfg := defaultCfg()
	ts := startServer(t, cfg, func(r *wsgi.Request) {
		r.Out.Start("200 OK", nil)
		p := bytes.Repeat([]byte("b"), chunk)
		for n := 0; n < total; n += chunk {
			if r.Out.Body(p) && !r.Out.Wait() {
				break
			}
		}
		r.Out.Done(nil)
	})
	// Earlier tests' garbage (a 32 MiB response read with io.ReadAll) would count otherwise.
	runtime.GC()
	c := dial(t, ts.addr)
	c.send(get("/"))
	var peak uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			select {
			case <-time.After(20 * time.Millisecond):
			case <-done:
				return
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak {
				peak = ms.HeapInuse
			}
		}
	}()
	// Read slowly at first, so output piles up, then at full speed.
	time.Sleep(200 * time.Millisecond)
	resp, err := readChunkedLen(c)
	done <- struct{}{}
	<-done
	if err != nil || resp != int64(total) {
		t.Fatalf("read %d bytes, %v", resp, err)
	}
	if peak > heapSlack*64<<20 {
		t.Fatalf("heap in use peaked at %d MiB", peak>>20)
	}
}

// readChunkedLen reads a chunked response and returns its body length.
func readChunkedLen(c *client) (int64, error) {
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return 0, err
		}
		if line == "\r\n" {
			break
		}
	}
	var n int64
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return n, err
		}
		size, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
		if err != nil {
			return n, err
		}
		if size == 0 {
			_, err = c.br.Discard(2)
			return n, err
		}
		if _, err := c.br.Discard(int(size) + 2); err != nil {
			return n, err
		}
		n += size
	}
}

func TestFileResponse(t *testing.T) {
	dir := t.TempDir()
	content := bytes.Repeat([]byte("0123456789"), 100000)
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		headers   []wsgi.Header
		off, size int64
		want      []byte
	}{
		{"whole file, length from size", nil, 0, -1, content},
		{"range", nil, 5, 20, content[5:25]},
		{"app length replaced by file size", hdr("Content-Length", "3"), 0, 10, content[:10]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, defaultCfg(), func(r *wsgi.Request) {
				f, err := os.Open(path)
				if err != nil {
					t.Error(err)
				}
				r.Out.Start("200 OK", tt.headers)
				r.Out.File(f, tt.off, tt.size)
				r.Out.Done(nil)
			})
			c := dial(t, ts.addr)
			c.send(get("/"))
			resp, body := c.response("GET")
			if body != string(tt.want) || resp.ContentLength != int64(len(tt.want)) {
				t.Fatalf("got %d bytes (Content-Length %d), want %d", len(body), resp.ContentLength, len(tt.want))
			}
		})
	}
	t.Run("chunked after body", func(t *testing.T) {
		ts := startServer(t, defaultCfg(), func(r *wsgi.Request) {
			f, _ := os.Open(path)
			r.Out.Start("200 OK", nil)
			r.Out.Body([]byte("head:"))
			r.Out.File(f, 0, 30)
			r.Out.Body([]byte(":tail"))
			r.Out.Done(nil)
		})
		c := dial(t, ts.addr)
		c.send(get("/"))
		resp, body := c.response("GET")
		if want := "head:" + string(content[:30]) + ":tail"; body != want || resp.TransferEncoding == nil {
			t.Fatalf("got %q (TE %v)", body, resp.TransferEncoding)
		}
	})
}

func TestConnectionLimit(t *testing.T) {
	cfg := defaultCfg()
	cfg.ConnectionLimit = 2
	release := make(chan struct{})
	var running, maxRunning atomic.Int32
	var mu sync.Mutex
	ts := startServer(t, cfg, func(r *wsgi.Request) {
		n := running.Add(1)
		mu.Lock()
		if n > maxRunning.Load() {
			maxRunning.Store(n)
		}
		mu.Unlock()
		if p, _ := env(r, "PATH_INFO"); p == "/block" {
			<-release
		}
		running.Add(-1)
		echoPath(r)
	})
	// 100 idle keep-alive connections, each after one request, do not lock anyone out.
	var idle []*client
	for i := 0; i < 100; i++ {
		c := dial(t, ts.addr)
		c.send(get("/x"))
		c.response("GET")
		idle = append(idle, c)
	}
	// Nor do clients that never finish sending their request.
	for i := 0; i < 10; i++ {
		c := dial(t, ts.addr)
		c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	}
	c := dial(t, ts.addr)
	c.send(get("/new"))
	if _, body := c.response("GET"); body != "/new" {
		t.Fatalf("got %q", body)
	}
	// Requests in the application do count: with 2 blocked, a third waits.
	b1, b2 := dial(t, ts.addr), dial(t, ts.addr)
	b1.send(get("/block"))
	b2.send(get("/block"))
	deadline := time.Now().Add(5 * time.Second)
	for running.Load() != 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	third := dial(t, ts.addr)
	third.send(get("/third"))
	time.Sleep(100 * time.Millisecond)
	if n := running.Load(); n != 2 {
		t.Fatalf("%d requests running with a limit of 2", n)
	}
	close(release)
	for _, c := range []*client{b1, b2} {
		if _, body := c.response("GET"); body != "/block" {
			t.Fatalf("got %q", body)
		}
	}
	if _, body := third.response("GET"); body != "/third" {
		t.Fatalf("got %q", body)
	}
	if maxRunning.Load() > 2 {
		t.Fatalf("%d requests ran at once", maxRunning.Load())
	}
	_ = idle
}

func TestClientDisconnected(t *testing.T) {
	observed := make(chan [2]bool, 1)
	closed := make(chan struct{})
	ts := startServer(t, defaultCfg(), func(r *wsgi.Request) {
		before := r.Disconnected()
		<-closed
		deadline := time.Now().Add(5 * time.Second)
		after := false
		for !after && time.Now().Before(deadline) {
			after = r.Disconnected()
			time.Sleep(5 * time.Millisecond)
		}
		observed <- [2]bool{before, after}
		// Writing to the gone client makes the pool stop.
		full := r.Out.Body([]byte("x"))
		for i := 0; i < 100 && !full; i++ {
			full = r.Out.Body(bytes.Repeat([]byte("x"), 1<<16))
			time.Sleep(time.Millisecond)
		}
		if full && r.Out.Wait() {
			t.Error("Wait reported the client present")
		}
		r.Out.Done(nil)
	})
	c := dial(t, ts.addr)
	c.send(get("/gone"))
	time.Sleep(50 * time.Millisecond)
	c.nc.Close()
	close(closed)
	got := <-observed
	if got[0] || !got[1] {
		t.Fatalf("Disconnected before close = %v, after = %v", got[0], got[1])
	}
}

func TestListen(t *testing.T) {
	t.Run("tcp and URLs", func(t *testing.T) {
		cfg := defaultCfg()
		cfg.Addrs = []Addr{{"tcp4", "127.0.0.1:0"}, {"tcp6", "[::1]:0"}}
		s, err := New(cfg, &fakeDispatcher{h: echoPath}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Listen(); err != nil {
			if strings.Contains(err.Error(), "[::1]") {
				t.Skip("no IPv6 loopback:", err)
			}
			t.Fatal(err)
		}
		urls := s.URLs()
		if len(urls) != 2 || !strings.HasPrefix(urls[0], "http://127.0.0.1:") || !strings.HasPrefix(urls[1], "http://[::1]:") {
			t.Fatalf("URLs = %v", urls)
		}
		go s.Serve()
		defer s.Shutdown(context.Background())
		for _, u := range urls {
			c := dial(t, strings.TrimPrefix(u, "http://"))
			c.send(get("/v"))
			if _, body := c.response("GET"); body != "/v" {
				t.Fatalf("%s: got %q", u, body)
			}
		}
	})
	t.Run("address in use", func(t *testing.T) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		cfg := defaultCfg()
		cfg.Addrs = []Addr{{"tcp4", l.Addr().String()}}
		s, _ := New(cfg, &fakeDispatcher{h: echoPath}, nil)
		err = s.Listen()
		if want := "bind " + l.Addr().String() + ": address already in use"; err == nil || err.Error() != want {
			t.Fatalf("got %v, want %q", err, want)
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatalf("%v does not wrap EADDRINUSE", err)
		}
	})
	t.Run("unix", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.sock")
		// A stale socket file is replaced.
		stale, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		stale.(*net.UnixListener).SetUnlinkOnClose(false)
		stale.Close()
		environs := make(chan map[string]string, 1)
		cfg := defaultCfg()
		cfg.Addrs = []Addr{{"unix", path}}
		cfg.UnixSocketPerms = 0o660
		s, _ := New(cfg, &fakeDispatcher{h: func(r *wsgi.Request) {
			m := map[string]string{}
			for _, v := range r.Environ {
				m[v.Key] = string(v.Value)
			}
			environs <- m
			respond(r, "200 OK", hdr("Content-Length", "0"))
		}}, nil)
		if err := s.Listen(); err != nil {
			t.Fatal(err)
		}
		go s.Serve()
		defer s.Shutdown(context.Background())
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o660 {
			t.Fatalf("socket mode %v, %v", st.Mode(), err)
		}
		if u := s.URLs(); len(u) != 1 || u[0] != "http://unix:"+path {
			t.Fatalf("URLs = %v", u)
		}
		nc, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		fmt.Fprint(nc, get("/u"))
		m := <-environs
		if m["REMOTE_ADDR"] != "localhost" || m["REMOTE_PORT"] != "None" || m["SERVER_PORT"] != path {
			t.Fatalf("REMOTE_ADDR=%q REMOTE_PORT=%q SERVER_PORT=%q", m["REMOTE_ADDR"], m["REMOTE_PORT"], m["SERVER_PORT"])
		}
		io.ReadAll(io.LimitReader(nc, 10))
	})
}

// TestSpoolKeptPerConnection: output above OutbufOverflow goes through one spool file per
// connection, reused by its later responses and closed with the connection.
func TestSpoolKeptPerConnection(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc/self/fd to count open spool files")
	}
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	openSpools := func() int {
		n := 0
		fds, _ := os.ReadDir("/proc/self/fd")
		for _, fd := range fds {
			if link, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(link, dir) {
				n++
			}
		}
		return n
	}
	cfg := defaultCfg()
	cfg.OutbufOverflow = 64 << 10
	body := strings.Repeat("s", 256<<10)
	ts := startServer(t, cfg, func(r *wsgi.Request) {
		respond(r, "200 OK", hdr("Content-Length", strconv.Itoa(len(body))), body)
	})
	c := dial(t, ts.addr)
	for i := 0; i < 3; i++ {
		c.send(get("/"))
		if resp, got := c.response("GET"); resp.StatusCode != 200 || got != body {
			t.Fatalf("response %d: status %d, %d bytes", i, resp.StatusCode, len(got))
		}
		if n := openSpools(); n != 1 {
			t.Fatalf("after response %d: %d spool files open, want the connection's one", i, n)
		}
	}
	c.nc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for openSpools() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d spool files still open after the connection closed", openSpools())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBorrowedBody: a large body lent by the application is sent as it is and given back exactly
// once, whether the client reads it or has gone; framing that would change it is declined.
func TestBorrowedBody(t *testing.T) {
	body := bytes.Repeat([]byte("b"), 512<<10)
	tests := []struct {
		name     string
		headers  []wsgi.Header
		wantLent bool
		hangUp   bool
	}{
		{"with Content-Length", hdr("Content-Length", strconv.Itoa(len(body))), true, false},
		{"without Content-Length", nil, false, false}, // chunked framing
		{"client gone", hdr("Content-Length", strconv.Itoa(len(body))), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var released atomic.Int32
			lent := make(chan bool, 1)
			ts := startServer(t, defaultCfg(), func(r *wsgi.Request) {
				if tt.hangUp {
					time.Sleep(50 * time.Millisecond)
				}
				r.Out.Start("200 OK", tt.headers)
				ok, _ := r.Out.(wsgi.Borrower).BodyBorrowed(body, func() { released.Add(1) })
				if !ok {
					r.Out.Body(body)
				}
				lent <- ok
				r.Out.Done(nil)
			})
			c := dial(t, ts.addr)
			c.send(get("/"))
			if tt.hangUp {
				c.nc.Close()
			} else if resp, got := c.response("GET"); resp.StatusCode != 200 || got != string(body) {
				t.Fatalf("status %d, %d bytes; want the body intact", resp.StatusCode, len(got))
			}
			if ok := <-lent; ok != tt.wantLent {
				t.Fatalf("lent = %v, want %v", ok, tt.wantLent)
			}
			want := int32(0)
			if tt.wantLent {
				want = 1
			}
			deadline := time.Now().Add(5 * time.Second)
			for released.Load() != want && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond) // a second release would show by now
			if n := released.Load(); n != want {
				t.Fatalf("released %d times, want %d", n, want)
			}
			if b := ts.borrowed.Load(); b != 0 {
				t.Fatalf("%d bytes still counted as lent", b)
			}
		})
	}
}

// TestWriteNow: a finished response sent from the worker's thread (wsgi.DirectWriter) reaches
// the client before its writer is woken, once, intact, also when the socket takes only part
// of it, and the connection goes on to its next request.
func TestWriteNow(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		slowRead bool // the client reads late, so the socket cannot take the whole response
	}{
		{"small", 100, false},
		{"partial write", 900 << 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Repeat("w", tt.size)
			const wakeAfter = 500 * time.Millisecond
			ts := startServer(t, defaultCfg(), func(r *wsgi.Request) {
				r.Out.Start("200 OK", hdr("Content-Length", strconv.Itoa(len(body))))
				r.Out.Body([]byte(body))
				dd := r.Out.(wsgi.DeferredDone)
				dd.DoneDeferred(nil)
				r.Out.(wsgi.DirectWriter).WriteNow()
				time.Sleep(wakeAfter)
				dd.Wake()
			})
			c := dial(t, ts.addr)
			for i := 0; i < 2; i++ {
				start := time.Now()
				c.send(get("/"))
				if tt.slowRead {
					time.Sleep(100 * time.Millisecond)
				}
				resp, got := c.response("GET")
				if resp.StatusCode != 200 || got != body {
					t.Fatalf("response %d: status %d, %d bytes; want %d intact", i, resp.StatusCode, len(got), len(body))
				}
				// (The second request is read only after the first's writer was woken.)
				if d := time.Since(start); i == 0 && !tt.slowRead && d >= wakeAfter {
					t.Errorf("response took %v: it waited for the writer's wake-up", d)
				}
			}
		})
	}
}

// TestWriteNowWhileSending: while the connection's writer is sending an earlier batch of a
// response, the worker's direct write of the rest must not go first: it leaves the rest queued.
func TestWriteNowWhileSending(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := &conn{nc: nc}
	w := &c.resp
	w.c = c
	w.cond.L = &w.mu
	tail := []byte("the rest")
	w.q = []segment{{mem: append(getBuf(len(tail)), tail...)}}
	w.pending = int64(len(tail))
	w.done = true

	w.sending = true
	w.WriteNow()
	if len(w.q) != 1 || w.pending != int64(len(tail)) {
		t.Fatalf("WriteNow wrote while the writer was sending: queue %d segments, %d bytes pending", len(w.q), w.pending)
	}
	peer.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	var buf [64]byte
	if n, _ := peer.Read(buf[:]); n != 0 {
		t.Fatalf("peer received %q ahead of the writer's batch", buf[:n])
	}

	w.sending = false
	w.WriteNow()
	if len(w.q) != 0 || w.pending != 0 {
		t.Fatalf("WriteNow left %d segments, %d bytes pending with the writer idle", len(w.q), w.pending)
	}
	peer.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := io.ReadFull(peer, buf[:len(tail)])
	if err != nil || string(buf[:n]) != string(tail) {
		t.Fatalf("peer received %q, %v; want %q", buf[:n], err, tail)
	}
}

// TestDeferredDoneHeldOutputStillSent: a worker that ends a small response with DoneDeferred
// and then blocks in its next request (so Wake comes late) must not hold the response back:
// the hold timer sends it within holdDelay.
func TestDeferredDoneHeldOutputStillSent(t *testing.T) {
	const wakeAfter = time.Second
	ts := startServer(t, defaultCfg(), func(r *wsgi.Request) {
		r.Out.Start("200 OK", hdr("Content-Length", "5"))
		r.Out.Body([]byte("hello")) // small: held back for the rest of the response
		dd := r.Out.(wsgi.DeferredDone)
		dd.DoneDeferred(nil)
		time.Sleep(wakeAfter) // the worker's next request blocks before it wakes the batch
		dd.Wake()
	})
	c := dial(t, ts.addr)
	start := time.Now()
	c.send(get("/"))
	if resp, got := c.response("GET"); resp.StatusCode != 200 || got != "hello" {
		t.Fatalf("status %d, body %q", resp.StatusCode, got)
	}
	if d := time.Since(start); d >= wakeAfter/2 {
		t.Fatalf("response took %v: it waited for the late Wake instead of the hold timer", d)
	}
}
