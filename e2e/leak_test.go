package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNoLeaks runs 20,000 requests after a 2,000-request warm-up, over a few concurrent
// keep-alive connections, and checks that the interpreter's object count, its allocated
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

	load(2000)
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
	if d := blocks1 - blocks0; d > 500 || d < -500 {
		t.Errorf("allocated blocks changed by %d over 20000 requests (limit ±500)", d)
	}
	if d := rss1 - rss0; d > 10*1024 {
		t.Errorf("RSS grew by %d kB over 20000 requests (limit 10 MB)", d)
	}
}

// hammer sends n keep-alive POSTs with a small body on one connection, checking each response.
func hammer(s *server, n int) error {
	c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	rc := &rawConn{t: nil, c: c}
	rc.r = newReader(c)
	req := "POST /req?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: e2e-leak\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello world!"
	for i := 0; i < n; i++ {
		c.SetWriteDeadline(time.Now().Add(rawTimeout))
		if _, err := c.Write([]byte(req)); err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		r, err := rc.read("POST")
		if err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		if r.Code != 200 || len(r.Body) != 100 {
			return fmt.Errorf("request %d: %v", i, r)
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
