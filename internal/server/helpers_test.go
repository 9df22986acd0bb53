package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waitress-go/waitress-go/internal/wsgi"
)

// fakeDispatcher runs each request's handler on its own goroutine, as the Python pool runs
// it on a worker thread.
type fakeDispatcher struct {
	h func(r *wsgi.Request)
}

func (d *fakeDispatcher) Submit(r *wsgi.Request) { go d.h(r) }

type logEntry struct {
	name  string
	level slog.Level
	msg   string
}

type testLogger struct {
	mu      sync.Mutex
	entries []logEntry
}

func (l *testLogger) Log(name string, level slog.Level, msg string) {
	l.mu.Lock()
	l.entries = append(l.entries, logEntry{name, level, msg})
	l.mu.Unlock()
}

func (l *testLogger) all() []logEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logEntry(nil), l.entries...)
}

// waitFor polls the log until an entry satisfies ok.
func (l *testLogger) waitFor(t *testing.T, ok func(logEntry) bool) logEntry {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range l.all() {
			if ok(e) {
				return e
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("log entry not found; log: %+v", l.all())
	return logEntry{}
}

type testServer struct {
	*Server
	addr string
	log  *testLogger
}

// startServer serves handler on a loopback listener and shuts down at the end of the test.
func startServer(t *testing.T, cfg Config, handler func(r *wsgi.Request)) *testServer {
	t.Helper()
	return startServerOn(t, cfg, handler, nil)
}

func startServerOn(t *testing.T, cfg Config, handler func(r *wsgi.Request), wrap func(net.Listener) net.Listener) *testServer {
	t.Helper()
	lg := &testLogger{}
	s, err := New(cfg, &fakeDispatcher{h: handler}, lg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if wrap != nil {
		l = wrap(l)
	}
	s.AddListener(l)
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &testServer{Server: s, addr: addr, log: lg}
}

func defaultCfg() Config {
	c := DefaultConfig()
	c.ChannelTimeout = 10 * time.Second
	return c
}

// env returns the value of key in r's environ.
func env(r *wsgi.Request, key string) (string, bool) {
	for _, v := range r.Environ {
		if v.Key == key {
			return string(v.Value), true
		}
	}
	return "", false
}

// respond sends a whole response.
func respond(r *wsgi.Request, status string, headers []wsgi.Header, body ...string) {
	r.Out.Start(status, headers)
	for _, b := range body {
		if r.Out.Body([]byte(b)) {
			r.Out.Wait()
		}
	}
	r.Out.Done(nil)
}

func hdr(kv ...string) []wsgi.Header {
	var hs []wsgi.Header
	for i := 0; i < len(kv); i += 2 {
		hs = append(hs, wsgi.Header{Name: kv[i], Value: kv[i+1]})
	}
	return hs
}

type client struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatal(err)
	}
}

// response reads one response, parsing its framing with net/http as an oracle.
func (c *client) response(method string) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

// rest reads everything until the server closes the connection.
func (c *client) rest() string {
	c.t.Helper()
	b, err := io.ReadAll(c.br)
	if err != nil {
		c.t.Fatalf("read until close: %v", err)
	}
	return string(b)
}

// expectClosed checks that the server closes the connection without sending more.
func (c *client) expectClosed() {
	c.t.Helper()
	if rest := c.rest(); rest != "" {
		c.t.Fatalf("unexpected bytes before close: %q", rest)
	}
}

// dropDate removes the Date header line and sorts the header lines of every response head,
// so raw responses can be compared exactly whatever order http1 writes the headers in (it
// keeps the application's order; the expected strings list them sorted, as Waitress does).
func dropDate(s string) string {
	lines := strings.Split(s, "\r\n")
	out := lines[:0]
	inHead := false
	start := 0
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "HTTP/1.") && !inHead:
			inHead = true
			out = append(out, l)
			start = len(out)
			continue
		case inHead && l == "":
			sort.Strings(out[start:])
			inHead = false
		case inHead && strings.HasPrefix(l, "Date: "):
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\r\n")
}

func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"
}
