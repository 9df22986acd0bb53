package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// brokenServer starts broken_app with a mark directory and returns both.
func brokenServer(t *testing.T, args ...string) (*server, string) {
	t.Helper()
	marks := t.TempDir()
	s := startServer(t, serverConfig{app: "broken_app:app", args: args, env: []string{"E2E_MARK_DIR=" + marks}})
	// Cleanups run last-in first-out: this one lets any /hang go before the server is stopped.
	t.Cleanup(func() { os.WriteFile(filepath.Join(marks, "release"), nil, 0o644) })
	return s, marks
}

// expectLogged waits for stderr to hold every one of subs.
func expectLogged(t *testing.T, s *server, subs ...string) {
	t.Helper()
	if !waitFor(5*time.Second, func() bool {
		out := s.stderr.String()
		for _, sub := range subs {
			if !strings.Contains(out, sub) {
				return false
			}
		}
		return true
	}) {
		t.Errorf("stderr lacks %q", subs)
	}
}

// expectServing checks that a normal request is answered within d.
func expectServing(t *testing.T, s *server, d time.Duration) {
	t.Helper()
	start := time.Now()
	resp, body := s.get(t, "/ok")
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Fatalf("normal request: %d %q", resp.StatusCode, body)
	}
	if el := time.Since(start); el > d {
		t.Errorf("normal request took %v, want under %v", el, d)
	}
}

// TestBrokenApp: each mistake gets Waitress's 500 page while no byte of the response has been
// sent, a cut-off response and a closed connection once some has, and the server carries on.
func TestBrokenApp(t *testing.T) {
	t.Parallel()
	s, marks := brokenServer(t)

	for _, tt := range []struct{ path, logged string }{
		{"/raise-after-start", "e2e: failure after start_response"},
		{"/return-none", "TypeError"},
		{"/return-none-no-start", "TypeError"},
		{"/return-int", "TypeError"},
		{"/return-bytes", "TypeError"},
		{"/yield-int", "TypeError"},
		{"/iter-raises?mark=iter", "e2e: __iter__ failed"},
		{"/recursion", "RecursionError"},
	} {
		t.Run("500 "+tt.path, func(t *testing.T) {
			c := dialRaw(t, s)
			c.send(get(tt.path))
			r := c.mustRead("GET")
			if r.Code != 500 || string(r.Body) != waitress500 || r.get("Connection") != "close" {
				t.Fatalf("want Waitress's 500 page with Connection: close, got %v", r)
			}
			c.expectClosed(5 * time.Second)
			name, _, _ := strings.Cut(tt.path, "?")
			expectLogged(t, s, "ERROR:waitress:Exception while serving "+name, tt.logged)
			expectServing(t, s, 5*time.Second)
		})
	}
	if !waitFor(5*time.Second, func() bool { return fileExists(filepath.Join(marks, "iter")) }) {
		t.Errorf("close() not called on an iterable whose __iter__ raised")
	}

	// A str body is never sent as text: Waitress sends the head and cuts the body off,
	// waitress-go answers 500; both close the connection.
	for _, path := range []string{"/return-str", "/yield-str"} {
		t.Run("str body "+path, func(t *testing.T) {
			c := dialRaw(t, s)
			c.send(get(path))
			r, err := c.read("GET")
			checkFailedResponse(t, c, r, err, 0)
			if r != nil && strings.Contains(string(r.Body), "str") {
				t.Fatalf("str body sent: %v", r)
			}
			expectServing(t, s, 5*time.Second)
		})
	}

	// Failures once chunks are out: the client must not see the last chunk.
	for _, tt := range []struct {
		path    string
		partial int
	}{
		{"/yield-str-after-bytes", len("fine")},
		{"/generator-raises?mark=gen", 2000},
	} {
		t.Run("cut off "+tt.path, func(t *testing.T) {
			c := dialRaw(t, s)
			c.send(get(tt.path))
			r, err := c.read("GET")
			checkFailedResponse(t, c, r, err, tt.partial)
			expectServing(t, s, 5*time.Second)
		})
	}
	if !waitFor(5*time.Second, func() bool { return fileExists(filepath.Join(marks, "gen")) }) {
		t.Errorf("generator not closed after it raised")
	}

	t.Run("close() raises after a complete body", func(t *testing.T) {
		// The body is complete, so the client gets it; the failure closes the connection.
		c := dialRaw(t, s)
		c.send(get("/close-raises"))
		r := c.mustRead("GET")
		if r.Code != 200 || string(r.Body) != "complete body\n" {
			t.Fatalf("want the complete 200, got %v", r)
		}
		c.expectClosed(5 * time.Second)
		expectLogged(t, s, "Exception while serving /close-raises", "e2e: close() failed")
		expectServing(t, s, 5*time.Second)
	})
}

// TestBrokenAppBaseExceptions: SystemExit and KeyboardInterrupt from the app are answered like
// any error and cost no thread: more of them than there are threads, then normal requests.
func TestBrokenAppBaseExceptions(t *testing.T) {
	oursOnly(t, "a BaseException kills Waitress's worker thread without a response")
	t.Parallel()
	s, _ := brokenServer(t, "--threads=2")
	for _, path := range []string{"/system-exit", "/keyboard-interrupt"} {
		for i := 0; i < 3; i++ {
			c := dialRaw(t, s)
			c.send(get(path))
			r := c.mustRead("GET")
			if r.Code != 500 || string(r.Body) != waitress500 {
				t.Fatalf("%s #%d: want the 500 page, got %v", path, i, r)
			}
			c.expectClosed(5 * time.Second)
		}
	}
	for i := 0; i < 4; i++ {
		expectServing(t, s, 5*time.Second)
	}
	if _, exited := s.wait(0); exited {
		t.Fatalf("server exited: %v", s.err)
	}
	expectLogged(t, s, "Exception while serving /system-exit", "SystemExit", "Exception while serving /keyboard-interrupt", "KeyboardInterrupt")
}

// TestBrokenAppHangs: a request stuck in the app holds one thread; the others keep serving.
// When every thread is stuck, new requests queue, the queue depth is logged, and they run once
// the threads come free.
func TestBrokenAppHangs(t *testing.T) {
	t.Parallel()
	s, marks := brokenServer(t, "--threads=2")

	hung := make(chan *response, 4)
	hang := func() {
		c := dialRaw(t, s)
		c.send(get("/hang"))
		go func() {
			c.c.SetReadDeadline(time.Now().Add(60 * time.Second))
			r, _ := c.read("GET")
			hung <- r
		}()
	}
	hang()
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < 20; i++ {
		expectServing(t, s, time.Second)
	}

	// Both threads stuck, plus two requests waiting for one.
	for i := 0; i < 3; i++ {
		hang()
	}
	expectLogged(t, s, "WARNING:waitress.queue:Task queue depth is")

	os.WriteFile(filepath.Join(marks, "release"), nil, 0o644)
	for i := 0; i < 4; i++ {
		select {
		case r := <-hung:
			if r == nil || r.Code != 200 || string(r.Body) != "released\n" {
				t.Fatalf("hung request after release: %v", r)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d of 4 hung requests answered after release", i)
		}
	}
	expectServing(t, s, time.Second)
}

// TestBrokenAppLeaks: an app that leaks 400 MiB keeps being served, and so do its neighbours.
func TestBrokenAppLeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 400 MiB leak")
	}
	t.Parallel()
	s, _ := brokenServer(t)
	rss0 := rssKB(t, s.cmd.Process.Pid)
	for i := 0; i < 20; i++ {
		resp, body := s.get(t, "/leak?mb=20")
		if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "leaked") {
			t.Fatalf("leak request %d: %d %q", i, resp.StatusCode, body)
		}
		expectServing(t, s, 2*time.Second)
	}
	rss1 := rssKB(t, s.cmd.Process.Pid)
	t.Logf("VmRSS %d -> %d kB", rss0, rss1)
	if rss1-rss0 < 300*1024 {
		t.Errorf("RSS grew by %d kB only: the app did not leak, the test proves nothing", rss1-rss0)
	}
}

// TestBrokenAppNoisy: an app writing megabytes to stdout and stderr does not stall the others.
func TestBrokenAppNoisy(t *testing.T) {
	t.Parallel()
	s, _ := brokenServer(t)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dialRaw(t, s)
			c.send(get("/noisy?kb=4096"))
			r, err := c.read("GET")
			if err != nil || r.Code != 200 || string(r.Body) != "noisy done\n" {
				errs <- fmt.Errorf("noisy request: %v %v", r, err)
			}
		}()
	}
	// Probes while the noise goes on.
	var worst time.Duration
	for i := 0; i < 20; i++ {
		start := time.Now()
		expectServing(t, s, 3*time.Second)
		worst = max(worst, time.Since(start))
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("slowest probe during the noise: %v", worst)
	// stdout and stderr share one buffer in the harness and interleave mid-line, so count the
	// payload bytes rather than lines.
	want := 2 * 2 * 4096 * 1023
	if !waitFor(10*time.Second, func() bool { return strings.Count(s.stderr.String(), "x") >= want }) {
		t.Errorf("%d bytes of noise arrived, want %d: output was lost", strings.Count(s.stderr.String(), "x"), want)
	}
}
