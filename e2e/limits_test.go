package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestMaxRequestHeaderSize: a head over --max-request-header-size gets 431 and a close; one
// under it is served.
func TestMaxRequestHeaderSize(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "ops_app:app", args: []string{"--max-request-header-size=2000"}})
	c := dialRaw(t, s)
	c.send(get("/ok", "X-Pad: "+strings.Repeat("a", 1000)))
	if r := c.mustRead("GET"); r.Code != 200 {
		t.Fatalf("head under the limit: %d", r.Code)
	}
	c = dialRaw(t, s)
	c.send(get("/big", "X-Pad: "+strings.Repeat("a", 3000)))
	r := c.mustRead("GET")
	if r.Code != 431 || !strings.Contains(string(r.Body), "exceeds max_header of 2000") {
		t.Fatalf("head over the limit: %d %q, want 431", r.Code, r.Body)
	}
	c.expectClosed(5 * time.Second)
}

// TestMaxRequestBodySize: a body over --max-request-body-size is refused with 413 before the
// app runs and before the client has sent it all: at once for a Content-Length over the
// limit, as soon as the limit is passed for a chunked body.
func TestMaxRequestBodySize(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "ops_app:app", args: []string{"--max-request-body-size=100000"}})

	c := dialRaw(t, s)
	c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n" + strings.Repeat("a", 1000))
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	r, err := c.read("POST")
	if err != nil || r.Code != 413 {
		t.Fatalf("Content-Length over the limit, 1000 of 100000000 bytes sent: %v %v, want 413 at once", r, err)
	}
	c.expectClosed(5 * time.Second)

	// Chunked: 1 MB in 10 KB chunks; the 413 must come long before the end.
	c = dialRaw(t, s)
	c.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	var sent, gotAt atomic.Int64
	go func() {
		piece := chunk(strings.Repeat("b", 10000))
		for i := 0; i < 100 && gotAt.Load() == 0; i++ {
			c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(c.c, piece); err != nil {
				return
			}
			sent.Add(10000)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r, err = c.read("POST")
	gotAt.Store(sent.Load() + 1)
	if err != nil || r.Code != 413 {
		t.Fatalf("chunked body over the limit: %v %v, want 413", r, err)
	}
	if at := gotAt.Load() - 1; at >= 1000000 {
		t.Fatalf("413 only after the whole body (%d bytes) was sent", at)
	}
}

// TestInbufOverflowSpool: a body above --inbuf-overflow is spooled to a file in $TMPDIR,
// which is gone once the request is done, and also when the client aborts mid-upload.
func TestInbufOverflowSpool(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	s := startServer(t, serverConfig{app: "ops_app:app", args: []string{"--inbuf-overflow=100000"}, env: []string{"TMPDIR=" + tmp}})
	const size = 3 << 20

	// Whole upload; the app waits before reading, so the spool file can be seen.
	c := dialRaw(t, s)
	c.send(fmt.Sprintf("POST /upload?wait=1 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size))
	go io.Copy(c.c, io.LimitReader(zeros{}, size))
	if !waitFor(5*time.Second, func() bool { return len(openFilesUnder(t, s, tmp)) > 0 }) {
		t.Fatalf("no spool file under TMPDIR=%s while the request ran", tmp)
	}
	r := c.mustRead("POST")
	if r.Code != 200 || string(r.Body) != strconv.Itoa(size) {
		t.Fatalf("upload: %d %q", r.Code, r.Body)
	}
	if !waitFor(5*time.Second, func() bool { return len(openFilesUnder(t, s, tmp)) == 0 }) {
		t.Fatalf("spool file still open after the request: %v", openFilesUnder(t, s, tmp))
	}

	// Aborted upload: half the body, then the client goes away.
	c = dialRaw(t, s)
	c.send(fmt.Sprintf("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size))
	c.send(strings.Repeat("z", size/2))
	if !waitFor(5*time.Second, func() bool { return len(openFilesUnder(t, s, tmp)) > 0 }) {
		t.Fatalf("no spool file under TMPDIR=%s during the upload", tmp)
	}
	c.c.Close()
	if !waitFor(5*time.Second, func() bool { return len(openFilesUnder(t, s, tmp)) == 0 }) {
		t.Fatalf("spool file still open after the client aborted: %v", openFilesUnder(t, s, tmp))
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Fatalf("files left in TMPDIR: %v", ents)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestOutbufOverflowSpool: response bytes above --outbuf-overflow that the client has not
// read yet go to a file in $TMPDIR, which is closed (it was never linked) afterwards.
func TestOutbufOverflowSpool(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	s := startServer(t, serverConfig{app: "ops_app:app", args: []string{"--outbuf-overflow=100000"}, env: []string{"TMPDIR=" + tmp}})
	const size = 8 << 20
	c := dialRaw(t, s)
	if tc, ok := c.c.(*net.TCPConn); ok {
		tc.SetReadBuffer(64 << 10)
	}
	c.send(get(fmt.Sprintf("/big?n=%d&chunk=65536", size)))
	if !waitFor(5*time.Second, func() bool { return len(openFilesUnder(t, s, tmp)) > 0 }) {
		t.Fatalf("no spool file under TMPDIR=%s while the client did not read", tmp)
	}
	r := c.mustRead("GET")
	if r.Code != 200 || len(r.Body) != size {
		t.Fatalf("got %d, %d bytes", r.Code, len(r.Body))
	}
	// Waitress keeps the file for the connection's next response; ours closes it at once.
	c.c.Close()
	if !waitFor(5*time.Second, func() bool { return len(openFilesUnder(t, s, tmp)) == 0 }) {
		t.Fatalf("spool file still open after the response: %v", openFilesUnder(t, s, tmp))
	}
}

// TestOutbufHighWatermark: an app streaming to a client that does not read is paused once
// --outbuf-high-watermark bytes wait, and resumes when the client drains them.
func TestOutbufHighWatermark(t *testing.T) {
	t.Parallel()
	marks, markEnv := markDir(t)
	s := startServer(t, serverConfig{app: "ops_app:app", args: []string{"--outbuf-high-watermark=1000000"}, env: []string{markEnv}})
	const size = 256 << 20
	c := dialRaw(t, s)
	if tc, ok := c.c.(*net.TCPConn); ok {
		tc.SetReadBuffer(64 << 10)
	}
	c.send(get(fmt.Sprintf("/big?n=%d&chunk=65536&progress=p", size)))
	produced := func() int {
		n, _ := strconv.Atoi(readMark(marks, "p"))
		return n
	}
	time.Sleep(time.Second)
	stalled := produced()
	time.Sleep(300 * time.Millisecond)
	// The watermark plus what the kernel buffers on both ends of a loopback connection.
	if again := produced(); stalled == 0 || stalled > 24<<20 || again != stalled {
		t.Fatalf("app produced %d then %d bytes while the client read nothing; want it paused near 1 MB", stalled, again)
	}
	br := bufio.NewReaderSize(c.c, 1<<20)
	c.c.SetReadDeadline(time.Now().Add(60 * time.Second))
	head, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Fatalf("status line %q, %v", head, err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
	}
	if n, err := io.CopyN(io.Discard, br, size); err != nil || n != size {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	if !waitFor(5*time.Second, func() bool { return produced() == size }) {
		t.Fatalf("app produced %d of %d bytes after the client drained", produced(), size)
	}
}

// TestChannelTimeoutClosesIdle: connections idle for --channel-timeout are closed, whether
// they sent a request before or nothing at all; a busy one is not.
func TestChannelTimeoutClosesIdle(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "ops_app:app", args: []string{"--channel-timeout=1", "--cleanup-interval=1"}})
	after := dialRaw(t, s)
	after.send(get("/x"))
	after.mustRead("GET")
	silent := dialRaw(t, s)
	start := time.Now()
	// A request running longer than the timeout is not cut off.
	busy := dialRaw(t, s)
	busy.send(get("/sleep?s=2.5"))
	after.expectClosed(5 * time.Second)
	silent.expectClosed(5 * time.Second)
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("idle connections closed after %v, before the 1 s timeout", d)
	}
	if r := busy.mustRead("GET"); r.Code != 200 || string(r.Body) != "slept" {
		t.Fatalf("long request: %d %q", r.Code, r.Body)
	}
}

// TestConnectionLimitNoLockout: unlike Waitress, idle keep-alive connections and a slowloris
// do not count against --connection-limit, so a new client is still served.
func TestConnectionLimitNoLockout(t *testing.T) {
	t.Parallel()
	oursOnly(t, "Waitress stops accepting at connection_limit open connections (its issue #301)")
	s := startServer(t, serverConfig{app: "ops_app:app", args: []string{"--connection-limit=10"}})
	for i := 0; i < 100; i++ {
		c := dialRaw(t, s)
		c.send(get("/idle"))
		c.mustRead("GET") // now idle, kept alive
	}
	loris := dialRaw(t, s)
	loris.send("GET /loris HTTP/1.1\r\nHost: x\r\n")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				io.WriteString(loris.c, "X-Slow: 1\r\n")
			}
		}
	}()
	start := time.Now()
	c := dialRaw(t, s)
	c.c.SetReadDeadline(time.Now().Add(3 * time.Second))
	c.send(get("/new"))
	r, err := c.read("GET")
	if err != nil || r.Code != 200 {
		t.Fatalf("new client with 100 idle connections and a slowloris open: %v %v after %v", r, err, time.Since(start))
	}
}
