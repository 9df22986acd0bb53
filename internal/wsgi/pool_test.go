package wsgi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waitress-go/waitress-go/internal/python"
)

var testPool *Pool

// TestMain starts the interpreter on the main thread, as the command does.
func TestMain(m *testing.M) {
	in, err := python.Find(os.Getenv("WSGI_TEST_PYTHON"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsgi tests need a Python:", err)
		os.Exit(2)
	}
	wd, _ := os.Getwd()
	if err := python.Start(in, filepath.Join(wd, "testdata")); err != nil {
		fmt.Fprintln(os.Stderr, "wsgi tests: starting Python:", err)
		os.Exit(2)
	}
	code := m.Run()
	if testPool != nil {
		testPool.Shutdown(5 * time.Second)
	}
	if err := python.Finalize(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// recorder is an Output that keeps everything.
type recorder struct {
	mu      sync.Mutex
	status  string
	headers []Header
	body    bytes.Buffer
	starts  int
	err     *AppError
	done    chan struct{}
	file    []byte
}

func newRecorder() *recorder { return &recorder{done: make(chan struct{})} }

func (r *recorder) Start(status string, headers []Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status, r.headers = status, headers
	r.starts++
}
func (r *recorder) Body(p []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.body.Write(p)
	return false
}
func (r *recorder) File(f *os.File, off, size int64) {
	defer f.Close()
	b := make([]byte, size)
	n, _ := f.ReadAt(b, off)
	r.file = b[:n]
}
func (r *recorder) Wait() bool { return true }
func (r *recorder) Done(err *AppError) {
	r.err = err
	close(r.done)
}

func loadTestApp(t *testing.T, spec string) *Pool {
	t.Helper()
	app, err := Load("apps:"+spec, false)
	if err != nil {
		t.Fatalf("Load(%s): %v", spec, err)
	}
	p := NewPool(app, PoolConfig{Threads: 4, Log: func(string, slog.Level, string) {}})
	t.Cleanup(func() { p.Shutdown(5 * time.Second) })
	return p
}

func run(t *testing.T, p *Pool, env []EnvVar, body string) *recorder {
	t.Helper()
	rec := newRecorder()
	p.Submit(&Request{Environ: env, Body: []byte(body), Out: rec})
	select {
	case <-rec.done:
	case <-time.After(10 * time.Second):
		t.Fatal("request did not complete")
	}
	return rec
}

var baseEnv = []EnvVar{
	{Key: "REQUEST_METHOD", Value: []byte("POST")},
	{Key: "PATH_INFO", Value: []byte("/caf\xe9")},
	{Key: "QUERY_STRING", Value: []byte("a=1")},
	{Key: "wsgi.url_scheme", Value: []byte("http")},
	{Key: "HTTP_X_CUSTOM", Value: []byte("one, two")},
}

func TestEnviron(t *testing.T) {
	p := loadTestApp(t, "environ_dump")
	rec := run(t, p, baseEnv, "hello body")
	if rec.err != nil {
		t.Fatalf("app error: %+v", rec.err)
	}
	var env map[string]any
	if err := json.Unmarshal(rec.body.Bytes(), &env); err != nil {
		t.Fatalf("bad json %q: %v", rec.body.String(), err)
	}
	want := map[string]any{
		"REQUEST_METHOD":               "POST",
		"PATH_INFO":                    "/café",
		"QUERY_STRING":                 "a=1",
		"HTTP_X_CUSTOM":                "one, two",
		"wsgi.url_scheme":              "http",
		"body":                         "hello body",
		"wsgi.multithread":             "bool",
		"wsgi.input":                   "BytesIO",
		"wsgi.file_wrapper":            "type",
		"waitress.client_disconnected": "builtin_function_or_method",
		"disconnected":                 false,
	}
	for k, v := range want {
		if fmt.Sprint(env[k]) != fmt.Sprint(v) {
			t.Errorf("environ[%q] = %v, want %v", k, env[k], v)
		}
	}
}

func TestResponses(t *testing.T) {
	tests := []struct {
		app        string
		status     string
		body       string
		errPrefix  string
		headerWant string
	}{
		{app: "hello", status: "200 OK", body: "Hello, world!", headerWant: "Content-Length=13"},
		{app: "writer", status: "200 OK", body: "0123456789", headerWant: "Content-Length=10"},
		{app: "lazy_start", status: "201 Created", body: "late", headerWant: "X-Lazy=yes"},
		{app: "exc_info_replace", status: "500 Replaced", body: "replaced", headerWant: "X-B=2"},
		{app: "raise_before", errPrefix: "RuntimeError: before start"},
		{app: "two_starts", errPrefix: "AssertionError: start_response called a second time"},
		{app: "hop", errPrefix: "AssertionError: Connection is a \"hop-by-hop\" header"},
		{app: "yields_str", errPrefix: "TypeError: response iterable yielded"},
		{app: "returns_none", errPrefix: "TypeError"},
	}
	for _, tt := range tests {
		t.Run(tt.app, func(t *testing.T) {
			p := loadTestApp(t, tt.app)
			rec := run(t, p, baseEnv, "")
			if tt.errPrefix != "" {
				if rec.err == nil || !strings.HasPrefix(rec.err.Message, tt.errPrefix) {
					t.Fatalf("err = %+v, want prefix %q", rec.err, tt.errPrefix)
				}
				if rec.err.HeadersSent || rec.starts != 0 {
					t.Errorf("failure before any body must not start the response")
				}
				if !strings.Contains(rec.err.Traceback, tt.errPrefix) {
					t.Errorf("traceback missing: %q", rec.err.Traceback)
				}
				return
			}
			if rec.err != nil {
				t.Fatalf("app error: %+v", rec.err)
			}
			if rec.status != tt.status || rec.body.String() != tt.body || rec.starts != 1 {
				t.Fatalf("got %q %q (starts %d), want %q %q", rec.status, rec.body.String(), rec.starts, tt.status, tt.body)
			}
			var hs []string
			for _, h := range rec.headers {
				hs = append(hs, h.Name+"="+h.Value)
			}
			if !strings.Contains(strings.Join(hs, ";"), tt.headerWant) {
				t.Errorf("headers %v lack %s", hs, tt.headerWant)
			}
		})
	}
}

func TestCloseCalled(t *testing.T) {
	for _, spec := range []string{"gen", "gen_fail"} {
		p := loadTestApp(t, spec)
		rec := run(t, p, baseEnv, "")
		if spec == "gen" && (rec.err != nil || rec.body.Len() != 100*1024) {
			t.Fatalf("gen: err %+v, %d bytes", rec.err, rec.body.Len())
		}
		if spec == "gen_fail" && (rec.err == nil || !strings.Contains(rec.err.Message, "boom")) {
			t.Fatalf("gen_fail: err %+v", rec.err)
		}
	}
	// Both apps record close() calls in apps.closed.
	// closed is a list, not callable: Load must refuse it.
	if _, err := Load("apps:closed", false); err == nil || !strings.Contains(err.Error(), "not callable") {
		t.Fatalf("Load(apps:closed) = %v, want not callable", err)
	}
	var n int64
	_ = python.WithGIL(func() error {
		n, _ = python.EvalInt("len(__import__('apps').closed)")
		return nil
	})
	if n != 2 {
		t.Fatalf("close() called %d times, want 2", n)
	}
}

func TestFlushLargeBody(t *testing.T) {
	p := loadTestApp(t, "big")
	rec := run(t, p, baseEnv, "")
	if rec.err != nil || rec.body.Len() != 3<<20 || rec.starts != 1 {
		t.Fatalf("err %+v, %d bytes, %d starts", rec.err, rec.body.Len(), rec.starts)
	}
}

func TestFileWrapper(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.bin")
	data := bytes.Repeat([]byte("0123456789abcdef"), 100000)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p := loadTestApp(t, "file_app")
	env := append([]EnvVar{}, baseEnv...)
	env[2] = EnvVar{Key: "QUERY_STRING", Value: []byte(path)}
	rec := run(t, p, env, "")
	if rec.err != nil || !bytes.Equal(rec.file, data) {
		t.Fatalf("err %+v, file %d bytes, want %d", rec.err, len(rec.file), len(data))
	}
	found := false
	for _, h := range rec.headers {
		if h.Name == "Content-Length" && h.Value == fmt.Sprint(len(data)) {
			found = true
		}
	}
	if !found {
		t.Errorf("headers %v lack Content-Length %d", rec.headers, len(data))
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"nosuchmodule:app", "Bad module 'nosuchmodule'"},
		{"apps:nope", "Bad object name 'nope'"},
		{"apps:not_callable", "is not callable"},
		{"apps", "Malformed application"},
	}
	for _, tt := range tests {
		_, err := Load(tt.spec, false)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%q) = %v, want %q", tt.spec, err, tt.want)
		}
	}
	app, err := Load("apps:factory", true)
	if err != nil || app == nil {
		t.Fatalf("Load(--call factory) = %v", err)
	}
}

// TestBusyAppKeepsOneThread: requests queued behind an app that computes (and so keeps the
// GIL) are run by the thread already working, not handed to other threads that would only take
// turns with it on the GIL.
func TestBusyAppKeepsOneThread(t *testing.T) {
	p := loadTestApp(t, "busy")
	var mu sync.Mutex
	threads := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := run(t, p, baseEnv, "")
			mu.Lock()
			threads[rec.body.String()]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	// One extra thread is tolerated: a look can catch the worker in a page fault on a loaded
	// machine. Waking a thread per queued request would use all four.
	if len(threads) > 2 {
		t.Errorf("16 busy requests ran on %d threads %v; want the working thread to keep them", len(threads), threads)
	}
}

// TestIOBoundScore: an app whose slow requests sleep is told from one whose slow requests
// compute, so that only the first gets idle threads let in without the monitor's looks.
func TestIOBoundScore(t *testing.T) {
	if !probesThreads {
		t.Skip("thread CPU clocks are Linux-only")
	}
	tests := []struct {
		app    string
		wantIO bool
	}{
		{"napper", true}, // sleeps 2 ms
		{"busy", false},  // computes 3 ms
	}
	for _, tt := range tests {
		t.Run(tt.app, func(t *testing.T) {
			p := loadTestApp(t, tt.app)
			for i := 0; i < 2*ioBoundMax; i++ {
				run(t, p, baseEnv, "")
			}
			score := p.ioBound.Load()
			if got := score >= ioBoundAt; got != tt.wantIO {
				t.Errorf("after %d requests the I/O-bound score is %d (threshold %d); want I/O-bound %v",
					2*ioBoundMax, score, ioBoundAt, tt.wantIO)
			}
		})
	}
}

// TestThreadsBoundConcurrency: workers may run Python on any OS thread, but never more than
// --threads requests are in the application at once.
func TestThreadsBoundConcurrency(t *testing.T) {
	const threads = 3
	app, err := Load("apps:concurrency", false)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPool(app, PoolConfig{Threads: threads, Log: func(string, slog.Level, string) {}})
	defer p.Shutdown(5 * time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	most := 0
	for i := 0; i < 4*threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := strconv.Atoi(run(t, p, baseEnv, "").body.String())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			most = max(most, n)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if most > threads || most < 2 {
		t.Fatalf("at most %d requests ran at once on %d threads; want 2..%d", most, threads, threads)
	}
}

// TestConcurrentSleepers: requests that block in the app (sleep, I/O) run side by side, each
// let in as soon as the threads working are seen blocked.
func TestConcurrentSleepers(t *testing.T) {
	tests := []struct {
		threads int
		within  time.Duration // run one after another, n requests sleeping 0.2 s take n*0.2 s
	}{
		{4, 600 * time.Millisecond},
		{8, 350 * time.Millisecond},
	}
	app, err := Load("apps:sleepy", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d threads", tt.threads), func(t *testing.T) {
			p := NewPool(app, PoolConfig{Threads: tt.threads, Log: func(string, slog.Level, string) {}})
			defer p.Shutdown(5 * time.Second)
			// A loaded machine can delay a wake-up, so the bound gets three tries.
			var d time.Duration
			for try := 0; try < 3; try++ {
				start := time.Now()
				var wg sync.WaitGroup
				for i := 0; i < tt.threads; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if rec := run(t, p, baseEnv, ""); rec.body.String() != "slept" {
							t.Errorf("body %q", rec.body.String())
						}
					}()
				}
				wg.Wait()
				if d = time.Since(start); d < tt.within {
					return
				}
			}
			t.Fatalf("%d requests sleeping 0.2s on %d threads took %v; they must overlap", tt.threads, tt.threads, d)
		})
	}
}

// lender is a recorder that accepts large chunks without copying, as the server does, and gives
// them back when the test says.
type lender struct {
	*recorder
	lent     [][]byte
	releases []func()
}

func (l *lender) BodyBorrowed(p []byte, release func()) (bool, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lent = append(l.lent, p)
	l.releases = append(l.releases, release)
	return true, false
}

// TestBorrowedBodyReleased: a large body is lent to the Output without a copy, stays intact
// while lent, and its bytes object gets back to its former reference count once released.
func TestBorrowedBodyReleased(t *testing.T) {
	p := loadTestApp(t, "big_const")
	refs := loadTestApp(t, "big_refs")
	count := func() string { return run(t, refs, baseEnv, "").body.String() }
	before := count()
	var lenders []*lender
	for i := 0; i < 3; i++ {
		l := &lender{recorder: newRecorder()}
		p.Submit(&Request{Environ: baseEnv, Out: l})
		select {
		case <-l.done:
		case <-time.After(10 * time.Second):
			t.Fatal("request did not complete")
		}
		if len(l.lent) != 1 || l.body.Len() != 0 {
			t.Fatalf("lent %d chunks and copied %d bytes; want the body lent whole", len(l.lent), l.body.Len())
		}
		lenders = append(lenders, l)
	}
	if during := count(); during == before {
		t.Fatalf("reference count %s while lent, as before; the Output must hold a reference", during)
	}
	for _, l := range lenders {
		if !bytes.Equal(l.lent[0], bytes.Repeat([]byte("z"), 1<<20)) {
			t.Fatal("lent body changed while lent")
		}
		l.releases[0]()
	}
	// The pool drops released references with the GIL held, on its next request or at once.
	deadline := time.Now().Add(5 * time.Second)
	for count() != before {
		if time.Now().After(deadline) {
			t.Fatalf("reference count %s after release, want %s", count(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNoLeak runs many requests and checks the interpreter's allocated blocks stay flat.
func TestNoLeak(t *testing.T) {
	p := loadTestApp(t, "environ_dump")
	for i := 0; i < 2000; i++ {
		run(t, p, baseEnv, "warm")
	}
	// A leak grows with every request; one-time growth (a worker thread's first request, caches
	// filling) does not. Compare two equal phases after warm-up.
	var blocks [3]int64
	_, blocks[0] = Counts()
	for phase := 1; phase <= 2; phase++ {
		for i := 0; i < 5000; i++ {
			run(t, p, baseEnv, "body")
		}
		_, blocks[phase] = Counts()
	}
	if d := blocks[2] - blocks[1]; d > 100 || d < -100 {
		t.Fatalf("allocated blocks %d -> %d -> %d over two phases of 5000 requests: the second phase grew by %d",
			blocks[0], blocks[1], blocks[2], d)
	}
}

// discard is an Output that drops everything, for benchmarks.
type discard struct{ done chan struct{} }

func (discard) Start(string, []Header)      {}
func (discard) Body([]byte) bool            { return false }
func (discard) File(f *os.File, _, _ int64) { f.Close() }
func (discard) Wait() bool                  { return true }
func (d discard) Done(*AppError)            { d.done <- struct{}{} }

// BenchmarkPoolHello measures a request's round trip through the pool for a hello-world app,
// one at a time: mostly the GIL-held cost of environ, call and response copying.
func BenchmarkPoolHello(b *testing.B) {
	app, err := Load("apps:hello", false)
	if err != nil {
		b.Fatal(err)
	}
	p := NewPool(app, PoolConfig{Threads: 4})
	defer p.Shutdown(5 * time.Second)
	env := make([]EnvVar, 0, 30)
	env = append(env, baseEnv...)
	for _, h := range []string{"HTTP_HOST", "HTTP_USER_AGENT", "HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_ACCEPT_ENCODING", "HTTP_CONNECTION", "SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR", "REMOTE_PORT", "SERVER_PROTOCOL", "SCRIPT_NAME", "REQUEST_URI", "SERVER_SOFTWARE", "REMOTE_HOST"} {
		env = append(env, EnvVar{Key: h, Value: []byte("some typical value")})
	}
	d := discard{done: make(chan struct{}, 1)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Submit(&Request{Environ: env, Out: d})
		<-d.done
	}
	b.StopTimer()
	st := p.Stats()
	b.ReportMetric(float64(st.GILNanosOutsideApp)/float64(st.Requests), "gil-ns/req")
	b.ReportMetric(float64(st.AppNanos)/float64(st.Requests), "app-ns/req")
}

// TestManyDistinctHeaderKeys: clients choose header names; past the interning limit keys are
// still delivered, just not kept.
func TestManyDistinctHeaderKeys(t *testing.T) {
	p := loadTestApp(t, "environ_dump")
	var last *recorder
	for i := 0; i < 2200; i += 100 {
		env := append([]EnvVar{}, baseEnv...)
		for j := i; j < i+100; j++ {
			env = append(env, EnvVar{Key: fmt.Sprintf("HTTP_X_K%d", j), Value: []byte(fmt.Sprint(j))})
		}
		last = run(t, p, env, "")
	}
	var env map[string]any
	if err := json.Unmarshal(last.body.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	if env["HTTP_X_K2199"] != "2199" || env["HTTP_X_K2100"] != "2100" {
		t.Fatalf("keys past the interning limit missing: %v %v", env["HTTP_X_K2199"], env["HTTP_X_K2100"])
	}
}
