package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// launch starts the server with exactly args (no --host/--port added) and app, with extra
// environment variables. Unlike startServer it does not wait for anything: use waitLog.
func launch(t testing.TB, app string, args []string, env ...string) *server {
	t.Helper()
	cmd := serverConfig{app: app, env: env}.command(t)
	cmd.Args = append(append([]string{cmd.Args[0]}, args...), app)
	s := &server{t: t, cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.stderr, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server %v output:\n%s", cmd.Args, s.stderr.String())
		}
	})
	return s
}

// waitLog waits until the server's output matches re n times and returns the matches. It
// fails the test when the server exits first or d passes.
func (s *server) waitLog(t testing.TB, re *regexp.Regexp, n int, d time.Duration) [][]string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		m := re.FindAllStringSubmatch(s.stderr.String(), -1)
		if len(m) >= n {
			return m
		}
		select {
		case <-s.done:
			t.Fatalf("server exited (%v) before logging %d× %q:\n%s", s.err, n, re, s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not log %d× %q within %v:\n%s", n, re, d, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var servingAnyRE = regexp.MustCompile(`Serving on (http://\S+)`)

// startListening launches the server and waits for n "Serving on" lines, returning their URLs.
func startListening(t testing.TB, app string, n int, args []string, env ...string) (*server, []string) {
	t.Helper()
	s := launch(t, app, args, env...)
	var urls []string
	for _, m := range s.waitLog(t, servingAnyRE, n, 30*time.Second) {
		urls = append(urls, m[1])
	}
	return s, urls
}

// envOver GETs path from the server at addr (host:port, or "unix:PATH") and decodes the
// JSON environ report of ops_app or environ_app.
func envOver(t testing.TB, addr, path string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	resp, body := fetch(t, addr, "GET", path, hdr, nil)
	var env map[string]any
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("GET %s via %s: %v\n%s", path, addr, err, body)
		}
	}
	return resp.StatusCode, env
}

// fetch sends one request over a fresh connection to addr (host:port, or "unix:PATH").
func fetch(t testing.TB, addr, method, path string, hdr map[string]string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true, DisableCompression: true}
	host := addr
	if sock, ok := strings.CutPrefix(addr, "unix:"); ok {
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
		host = "unix.invalid"
	}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+host+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("%s %s via %s: %v", method, path, addr, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s via %s: reading body: %v", method, path, addr, err)
	}
	return resp, data
}

// openFilesUnder lists the server's open file descriptors that point into dir (as
// /proc/PID/fd shows them, deleted files included).
func openFilesUnder(t testing.TB, s *server, dir string) []string {
	t.Helper()
	fdDir := filepath.Join("/proc", itoa(s.cmd.Process.Pid), "fd")
	ents, err := os.ReadDir(fdDir)
	if err != nil {
		t.Fatalf("read %s: %v", fdDir, err)
	}
	var out []string
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err == nil && strings.HasPrefix(target, dir+"/") {
			out = append(out, target)
		}
	}
	return out
}

// markDir makes a directory for the app's marker files (E2E_MARK_DIR).
func markDir(t testing.TB) (string, string) {
	dir := t.TempDir()
	return dir, "E2E_MARK_DIR=" + dir
}

// readMark returns the content of the app's marker file name ("" if absent).
func readMark(dir, name string) string {
	b, _ := os.ReadFile(filepath.Join(dir, name))
	return string(b)
}
