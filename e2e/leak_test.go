package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNoLeaks runs 20,000 requests of every response shape (see hammer) after a 4,000-request
// warm-up (2,000 left Waitress's own caches still filling), over a few concurrent keep-alive connections, and checks that the interpreter's object count, its allocated
// memory blocks and the server's RSS stay flat: a request must leave nothing behind.
func TestNoLeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 22,000-request leak test")
	}
	t.Parallel()
	s := startServer(t, serverConfig{app: "leak_app:app"})
	const conns = 4

	load := func(total int) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, conns)
		for i := 0; i < conns; i++ {
			wg.Add(1)
			go func(n int) {
				defer wg.Done()
				if err := hammer(s, n); err != nil {
					errs <- err
				}
			}(total / conns)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}

	load(4000)
	objs0, blocks0 := appStats(t, s)
	rss0 := rssKB(t, s.cmd.Process.Pid)
	start := time.Now()
	load(20000)
	elapsed := time.Since(start)
	objs1, blocks1 := appStats(t, s)
	rss1 := rssKB(t, s.cmd.Process.Pid)

	t.Logf("20000 requests in %v; gc objects %d -> %d, allocated blocks %d -> %d, VmRSS %d -> %d kB",
		elapsed.Round(time.Millisecond), objs0, objs1, blocks0, blocks1, rss0, rss1)
	if d := objs1 - objs0; d > 200 || d < -200 {
		t.Errorf("gc objects changed by %d over 20000 requests (limit ±200)", d)
	}
	// Waitress itself grows by a few hundred blocks here (caches still filling after the
	// warm-up); a leak of one block per 20 requests already breaks the limit.
	if d := blocks1 - blocks0; d > 1000 || d < -1000 {
		t.Errorf("allocated blocks changed by %d over 20000 requests (limit ±1000)", d)
	}
	if d := rss1 - rss0; d > 10*1024 {
		t.Errorf("RSS grew by %d kB over 20000 requests (limit 10 MB)", d)
	}
}

// hammer sends n requests over keep-alive connections, checking each response. Most are small
// POSTs; every 10th is a chunked POST answered by a generator, every 10th (offset) a
// file_wrapper response, and every 100th an app error, after which the server closes the
// connection and hammer dials again.
func hammer(s *server, n int) error {
	fileData, err := os.ReadFile(filepath.Join(appsDir, "leak_app.py"))
	if err != nil {
		return err
	}
	var c net.Conn
	var rc *rawConn
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		if c == nil {
			if c, err = net.DialTimeout("tcp", s.addr, 5*time.Second); err != nil {
				return err
			}
			rc = &rawConn{c: c, r: newReader(c)}
		}
		var req, method = "", "POST"
		var check func(*response) bool
		switch {
		case i%100 == 99:
			req, method = "GET /err HTTP/1.1\r\nHost: h\r\n\r\n", "GET"
			check = func(r *response) bool { return r.Code == 500 }
		case i%10 == 3:
			req = "POST /gen HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
			check = func(r *response) bool { return r.Code == 200 && len(r.Body) == 50 }
		case i%10 == 6:
			req, method = "GET /file?i="+strconv.Itoa(i)+" HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n", "GET"
			check = func(r *response) bool { return r.Code == 200 && string(r.Body) == string(fileData) }
		default:
			req = "POST /req?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: e2e-leak\r\nX-A: 1\r\nX-A: 2\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello world!"
			check = func(r *response) bool { return r.Code == 200 && len(r.Body) == 100 }
		}
		c.SetWriteDeadline(time.Now().Add(rawTimeout))
		if _, err := c.Write([]byte(req)); err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		r, err := rc.read(method)
		if err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		if !check(r) {
			return fmt.Errorf("request %d (%s): %v", i, strings.SplitN(req, "\r\n", 2)[0], r)
		}
		if strings.EqualFold(r.get("Connection"), "close") {
			c.Close()
			c = nil
		}
	}
	return nil
}

// appStats asks leak_app for the interpreter's gc object count and allocated block count.
func appStats(t *testing.T, s *server) (objects, blocks int) {
	t.Helper()
	resp, body := s.get(t, "/stats")
	var st struct{ Objects, Blocks int }
	if err := json.Unmarshal(body, &st); resp.StatusCode != 200 || err != nil {
		t.Fatalf("/stats: %d %q %v", resp.StatusCode, body, err)
	}
	return st.Objects, st.Blocks
}

// rssKB reads VmRSS of a process from /proc.
func rssKB(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}
