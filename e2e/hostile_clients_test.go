package e2e

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The abusive-client tests run one at a time (no t.Parallel): each measures the latency a
// well-behaved client sees while the attack goes on, and sharing two cores with other tests
// would measure those instead.

// hostileTimeout is the --channel-timeout the attacked servers run with.
const hostileTimeout = 2 * time.Second

// attacked is a server under attack and what is needed to watch it.
type attacked struct {
	*server
	tmp   string // the server's TMPDIR, where spool files go
	calls string // E2E_CALLS_FILE
	marks string // E2E_MARK_DIR
	base  procSnap
}

func startAttacked(t *testing.T, args ...string) *attacked {
	t.Helper()
	a := &attacked{tmp: t.TempDir(), calls: filepath.Join(t.TempDir(), "calls"), marks: t.TempDir()}
	args = append([]string{"--channel-timeout=2", "--cleanup-interval=1"}, args...)
	a.server = startServer(t, serverConfig{app: "hostile_app:app", args: args,
		env: []string{"TMPDIR=" + a.tmp, "E2E_CALLS_FILE=" + a.calls, "E2E_MARK_DIR=" + a.marks}})
	// Warm up, so that lazily created threads and buffers are in the baseline.
	for i := 0; i < 20; i++ {
		a.get(t, "/hello")
	}
	a.base = a.snap(t)
	return a
}

// procSnap is what /proc says about the server process.
type procSnap struct {
	rssKB, fds, threads int
	spools              int   // open files in the server's TMPDIR
	spoolBytes          int64 // their total size
}

func (p procSnap) String() string {
	return fmt.Sprintf("rss=%d kB fds=%d threads=%d spool files=%d (%d bytes)", p.rssKB, p.fds, p.threads, p.spools, p.spoolBytes)
}

func (a *attacked) snap(t *testing.T) procSnap {
	t.Helper()
	pid := a.cmd.Process.Pid
	p := procSnap{rssKB: rssKB(t, pid)}
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, _ := os.ReadDir(fdDir)
	p.fds = len(ents)
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err == nil && strings.HasPrefix(link, a.tmp) {
			p.spools++
			if st, err := os.Stat(filepath.Join(fdDir, e.Name())); err == nil {
				p.spoolBytes += st.Size()
			}
		}
	}
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	p.threads = len(tasks)
	return p
}

// settle waits for the server to give back what the attack took: descriptors back to the
// baseline, no spool file open, none left in TMPDIR, and RSS within rssSlackKB of it.
func (a *attacked) settle(t *testing.T, within time.Duration, rssSlackKB int) {
	t.Helper()
	var now procSnap
	ok := waitFor(within, func() bool {
		now = a.snap(t)
		return now.fds <= a.base.fds+2 && now.spools == 0
	})
	t.Logf("baseline %v; after %v", a.base, now)
	if !ok {
		t.Errorf("descriptors not reclaimed within %v: %d open, baseline %d, %d spool files", within, now.fds, a.base.fds, now.spools)
	}
	if now.rssKB-a.base.rssKB > rssSlackKB {
		t.Errorf("RSS %d kB after the attack, baseline %d kB (limit +%d kB)", now.rssKB, a.base.rssKB, rssSlackKB)
	}
	if ents, _ := os.ReadDir(a.tmp); len(ents) > 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files left in TMPDIR: %q", names)
	}
	a.get(t, "/hello")
}

// watch samples the server every 100 ms until stop is called and keeps the peaks.
type watcher struct {
	stopc chan struct{}
	done  chan struct{}
	peak  procSnap
}

func (a *attacked) watch(t *testing.T) *watcher {
	w := &watcher{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			p := a.snap(t)
			w.peak.rssKB = max(w.peak.rssKB, p.rssKB)
			w.peak.fds = max(w.peak.fds, p.fds)
			w.peak.threads = max(w.peak.threads, p.threads)
			w.peak.spools = max(w.peak.spools, p.spools)
			w.peak.spoolBytes = max(w.peak.spoolBytes, p.spoolBytes)
			select {
			case <-w.stopc:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *watcher) stop() procSnap {
	close(w.stopc)
	<-w.done
	return w.peak
}

// prober is a well-behaved client that keeps asking for /hello on fresh connections and
// records how long each answer takes.
type prober struct {
	stopc chan struct{}
	done  chan struct{}
	lat   []time.Duration
	errs  []error
}

func startProber(s *server) *prober {
	p := &prober{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		// The first probe goes out at once: some attacks are over within the interval.
		for {
			start := time.Now()
			if err := probeOnce(s.addr); err != nil {
				p.errs = append(p.errs, err)
			} else {
				p.lat = append(p.lat, time.Since(start))
			}
			select {
			case <-p.stopc:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return p
}

func probeOnce(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"); err != nil {
		return err
	}
	data, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(string(data), "HTTP/1.1 200 ") || !strings.HasSuffix(string(data), "\r\n\r\nhello\n") {
		return fmt.Errorf("probe got %q", data)
	}
	return nil
}

// finish stops the prober and checks that every probe was answered, the slowest within limit.
func (p *prober) finish(t *testing.T, limit time.Duration) {
	t.Helper()
	close(p.stopc)
	<-p.done
	if len(p.errs) > 0 {
		t.Errorf("%d probes failed during the attack, first: %v", len(p.errs), p.errs[0])
	}
	if len(p.lat) < 1 {
		t.Fatalf("only %d probes answered during the attack", len(p.lat))
	}
	sorted := append([]time.Duration(nil), p.lat...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	p50, p99, worst := sorted[len(sorted)/2], sorted[len(sorted)*99/100], sorted[len(sorted)-1]
	t.Logf("%d probes during the attack: p50 %v, p99 %v, max %v", len(sorted), p50.Round(time.Microsecond), p99.Round(time.Microsecond), worst.Round(time.Microsecond))
	if worst > limit {
		t.Errorf("slowest probe took %v, want under %v", worst, limit)
	}
}

func dialTCP(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// reset closes c with an RST instead of a FIN.
func reset(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

// TestHostileSlowloris: 300 connections trickle a request head a few bytes at a time. The
// server must close each once channel_timeout has passed since its first byte, and keep
// answering everybody else meanwhile.
func TestHostileSlowloris(t *testing.T) {
	oursOnly(t, "Waitress stops accepting at connection_limit (100), so the probes wait behind the attackers, and its channel_timeout counts inactivity only, so a trickle keeps a connection forever")
	a := startAttacked(t)
	p := startProber(a.server)
	w := a.watch(t)
	const n = 300
	var wg sync.WaitGroup
	var closedIn []time.Duration
	var got200 atomic.Int32
	var mu sync.Mutex
	for i := 0; i < n; i++ {
		c := dialTCP(t, a.addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			stop := make(chan struct{})
			go func() { // the trickle: one header line every 200 ms, for at most 10 s
				io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: h\r\n")
				for i := 0; i < 50; i++ {
					select {
					case <-stop:
						return
					case <-time.After(200 * time.Millisecond):
					}
					if _, err := fmt.Fprintf(c, "X-%d: %d\r\n", i, i); err != nil {
						return
					}
				}
			}()
			c.SetReadDeadline(time.Now().Add(12 * time.Second))
			buf := make([]byte, 4096)
			for {
				k, err := c.Read(buf)
				if k > 0 && strings.HasPrefix(string(buf[:k]), "HTTP/1.1 200") {
					got200.Add(1)
				}
				if err != nil {
					break
				}
			}
			close(stop)
			mu.Lock()
			closedIn = append(closedIn, time.Since(start))
			mu.Unlock()
		}()
	}
	wg.Wait()
	peak := w.stop()
	p.finish(t, 2*time.Second)
	t.Logf("peak during the attack: %v", peak)

	if got200.Load() > 0 {
		t.Errorf("%d unfinished heads were answered with 200", got200.Load())
	}
	sort.Slice(closedIn, func(i, j int) bool { return closedIn[i] < closedIn[j] })
	t.Logf("slowloris connections closed after %v (first) to %v (last)", closedIn[0].Round(time.Millisecond), closedIn[len(closedIn)-1].Round(time.Millisecond))
	if last := closedIn[len(closedIn)-1]; last > hostileTimeout+2*time.Second {
		t.Errorf("a slowloris connection stayed open %v; channel timeout is %v", last, hostileTimeout)
	}
	if peak.rssKB-a.base.rssKB > 64*1024 {
		t.Errorf("RSS rose by %d kB during the attack (limit 64 MiB)", peak.rssKB-a.base.rssKB)
	}
	a.settle(t, 5*time.Second, 64*1024)
}

// TestHostileSlowReaders: 40 clients ask for 4 MiB each and never read. Output beyond
// outbuf_overflow goes to disk, memory stays bounded, channel_timeout closes the stalled
// connections, each response iterable is closed and each spool file removed.
func TestHostileSlowReaders(t *testing.T) {
	oursOnly(t, "Waitress keeps a stalled reader's channel while its response is unsent")
	a := startAttacked(t)
	p := startProber(a.server)
	w := a.watch(t)
	const n = 40
	// A 4 KiB receive buffer set before connecting keeps the TCP window small, so that most of
	// each response stays with the server instead of in the kernel.
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	conns := make([]*net.TCPConn, n)
	for i := range conns {
		nc, err := d.Dial("tcp", a.addr)
		if err != nil {
			t.Fatal(err)
		}
		c := nc.(*net.TCPConn)
		t.Cleanup(func() { reset(c) })
		fmt.Fprintf(c, "GET /big?mb=4&mark=reader-%d HTTP/1.1\r\nHost: h\r\n\r\n", i)
		conns[i] = c
	}
	time.Sleep(time.Second)
	if s := a.snap(t); s.fds < a.base.fds+n {
		t.Fatalf("only %d descriptors open with %d stalled readers (baseline %d): the readers did not stall", s.fds, n, a.base.fds)
	}
	// The server must give up on them by itself (what the kernel still holds for them it
	// sends after the close, as for any closed socket; clients are not asked to read it).
	var now procSnap
	if !waitFor(hostileTimeout+3*time.Second, func() bool { now = a.snap(t); return now.fds <= a.base.fds+2 }) {
		t.Errorf("stalled readers still hold %d descriptors (baseline %d) %v after they stalled", now.fds, a.base.fds, hostileTimeout+4*time.Second)
	}
	peak := w.stop()
	p.finish(t, 2*time.Second)
	t.Logf("peak with %d stalled readers: %v", n, peak)
	// Per connection: outbuf_overflow (1 MiB) in memory, the rest spooled.
	if peak.rssKB-a.base.rssKB > 160*1024 {
		t.Errorf("RSS rose by %d kB for %d stalled 4 MiB responses (limit 160 MiB)", peak.rssKB-a.base.rssKB, n)
	}
	if peak.spools == 0 {
		t.Errorf("no response was spooled to TMPDIR: the test did not stall the server")
	}
	for i := 0; i < n; i++ {
		mark := filepath.Join(a.marks, "reader-"+strconv.Itoa(i))
		if !waitFor(5*time.Second, func() bool { return fileExists(mark) }) {
			t.Errorf("response iterable %d never closed", i)
		}
	}
	for _, c := range conns {
		reset(c)
	}
	a.settle(t, 5*time.Second, 160*1024)
}

// TestHostileAbandonedFlood: 3000 connections that give up in every way a client can.
func TestHostileAbandonedFlood(t *testing.T) {
	oursOnly(t, "Waitress stops accepting at connection_limit (100): probes wait seconds behind the flood")
	a := startAttacked(t)
	p := startProber(a.server)
	w := a.watch(t)
	abandon := []func(c *net.TCPConn){
		func(c *net.TCPConn) { c.Close() },
		func(c *net.TCPConn) { reset(c) },
		func(c *net.TCPConn) { io.WriteString(c, "GET /hel"); c.Close() },
		func(c *net.TCPConn) { io.WriteString(c, "GET /hello HTTP/1.1\r\nHo"); reset(c) },
		func(c *net.TCPConn) { io.WriteString(c, get("/hello")); c.Close() },
		func(c *net.TCPConn) { io.WriteString(c, get("/big?mb=2")); reset(c) },
		func(c *net.TCPConn) {
			io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\nabc")
			reset(c)
		},
		func(c *net.TCPConn) { time.Sleep(300 * time.Millisecond); c.Close() },
	}
	const waves, perWave = 10, 300
	for wave := 0; wave < waves; wave++ {
		var wg sync.WaitGroup
		for i := 0; i < perWave; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.DialTimeout("tcp", a.addr, 5*time.Second)
				if err != nil {
					t.Errorf("dial during the flood: %v", err)
					return
				}
				abandon[i%len(abandon)](c.(*net.TCPConn))
			}()
		}
		wg.Wait()
	}
	peak := w.stop()
	p.finish(t, 2*time.Second)
	t.Logf("peak during the flood: %v", peak)
	if peak.rssKB-a.base.rssKB > 128*1024 {
		t.Errorf("RSS rose by %d kB during the flood (limit 128 MiB)", peak.rssKB-a.base.rssKB)
	}
	a.settle(t, hostileTimeout+3*time.Second, 64*1024)
}

// TestHostileOversizedUploads: uploads far over --max-request-body-size are refused with 413
// without the server reading (or spooling) them, and the app never sees them.
func TestHostileOversizedUploads(t *testing.T) {
	const limit = 1 << 20
	a := startAttacked(t, "--max-request-body-size="+strconv.Itoa(limit))

	t.Run("just under the limit is served", func(t *testing.T) {
		c := dialRaw(t, a.server)
		c.send(fmt.Sprintf("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s", limit-1, strings.Repeat("u", limit-1)))
		if r := c.mustRead("POST"); r.Code != 200 || string(r.Body) != strconv.Itoa(limit-1) {
			t.Fatalf("got %v", r)
		}
	})
	before := len(callLines(a.calls))

	t.Run("Content-Length of 100 GB", func(t *testing.T) {
		c := dialRaw(t, a.server)
		start := time.Now()
		c.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100000000000\r\n\r\n")
		checkRejected(t, c, 413, "exceeds max_body of "+strconv.Itoa(limit))
		if el := time.Since(start); el > time.Second {
			t.Errorf("413 took %v: the server waited for the body", el)
		}
	})

	p := startProber(a.server)
	w := a.watch(t)
	t.Run("10 concurrent chunked uploads of 64 MiB", func(t *testing.T) {
		var wg sync.WaitGroup
		var sent atomic.Int64
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := dialRaw(t, a.server)
				go func() {
					io.WriteString(c.c, "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
					piece := chunk(strings.Repeat("u", 65536))
					for j := 0; j < 1024; j++ {
						c.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
						k, err := io.WriteString(c.c, piece)
						sent.Add(int64(k))
						if err != nil {
							return
						}
					}
				}()
				r, err := c.read("POST")
				if err != nil || r.Code != 413 {
					t.Errorf("want a 413, got %v, %v", r, err)
					return
				}
				c.expectClosed(5 * time.Second)
			}()
		}
		wg.Wait()
		t.Logf("clients managed to send %d MiB in all before the server closed", sent.Load()>>20)
	})
	peak := w.stop()
	p.finish(t, 2*time.Second)
	t.Logf("peak during the uploads: %v", peak)
	if peak.spoolBytes > 4*limit*10 {
		t.Errorf("%d bytes spooled at the peak for 10 uploads over a %d-byte limit", peak.spoolBytes, limit)
	}
	if after := callLines(a.calls); len(after) != before {
		t.Errorf("the app ran for a refused upload: %q", after[before:])
	}
	a.settle(t, hostileTimeout+3*time.Second, 64*1024)
}

// TestHostileVanishingClients: clients that disappear halfway through sending a large body,
// or halfway through receiving a large response.
func TestHostileVanishingClients(t *testing.T) {
	a := startAttacked(t)
	p := startProber(a.server)
	w := a.watch(t)

	t.Run("mid-request", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := dialTCP(t, a.addr)
				c.SetWriteDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 8388608\r\n\r\n")
				piece := strings.Repeat("v", 65536)
				for j := 0; j < 32; j++ { // 2 MiB of 8: well past inbuf_overflow, so spooled
					if _, err := io.WriteString(c, piece); err != nil {
						t.Errorf("upload %d: %v", i, err)
						return
					}
				}
				time.Sleep(200 * time.Millisecond)
				if i%2 == 0 {
					reset(c)
				} else {
					c.Close()
				}
			}()
		}
		wg.Wait()
		if calls := callLines(a.calls); len(calls) > 0 {
			t.Errorf("the app ran for abandoned uploads: %d calls", len(calls))
		}
	})

	t.Run("mid-response", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := 0; i < 30; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := dialTCP(t, a.addr)
				fmt.Fprintf(c, "GET /big?mb=8&mark=vanish-%d HTTP/1.1\r\nHost: h\r\n\r\n", i)
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.CopyN(io.Discard, c, 256<<10); err != nil {
					t.Errorf("response %d: %v", i, err)
				}
				if i%2 == 0 {
					reset(c)
				} else {
					c.Close()
				}
			}()
		}
		wg.Wait()
		for i := 0; i < 30; i++ {
			mark := filepath.Join(a.marks, "vanish-"+strconv.Itoa(i))
			if !waitFor(5*time.Second, func() bool { return fileExists(mark) }) {
				t.Errorf("iterable of abandoned response %d never closed", i)
			}
		}
	})
	peak := w.stop()
	p.finish(t, 2*time.Second)
	t.Logf("peak: %v", peak)
	if peak.rssKB-a.base.rssKB > 128*1024 {
		t.Errorf("RSS rose by %d kB (limit 128 MiB)", peak.rssKB-a.base.rssKB)
	}
	a.settle(t, hostileTimeout+3*time.Second, 64*1024)
}
