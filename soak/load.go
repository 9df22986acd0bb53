package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// action is one kind of client behaviour. do returns an error when the server answered
// anything but what that behaviour must get.
type action struct {
	name   string
	weight int
	do     func(w *worker) error
}

// tally counts one action's outcomes.
type tally struct {
	runs, failed atomic.Int64
	firstErr     atomic.Value // string
}

type load struct {
	addr    string
	workers int
	seed    uint64
	actions []action
	tallies []tally

	status5xx   atomic.Int64 // every 5xx response received
	expected5xx atomic.Int64 // 5xx responses to requests that make the app fail
}

type worker struct {
	ld   *load
	rnd  *rand.Rand
	keep net.Conn // a keep-alive connection for the well-behaved requests
	br   *bufio.Reader
}

func newLoad(addr string, workers int, seed uint64) *load {
	ld := &load{addr: addr, workers: workers, seed: seed}
	ld.actions = []action{
		{"ok", 30, (*worker).ok},
		{"echo", 10, (*worker).echo},
		{"echo-chunked", 5, (*worker).echoChunked},
		{"big", 8, (*worker).big},
		{"slow", 6, (*worker).slow},
		{"raise", 5, (*worker).raise},
		{"raise-mid", 4, (*worker).raiseMid},
		{"bad-request", 4, (*worker).badRequest},
		{"drop-mid-request", 8, (*worker).dropMidRequest},
		{"drop-mid-response", 8, (*worker).dropMidResponse},
		{"idle", 2, (*worker).idle},
	}
	ld.tallies = make([]tally, len(ld.actions))
	return ld
}

func (ld *load) run(ctx context.Context) {
	weights := make([]int, len(ld.actions))
	for i, a := range ld.actions {
		weights[i] = a.weight
	}
	var wg sync.WaitGroup
	for i := 0; i < ld.workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{ld: ld, rnd: rand.New(rand.NewPCG(ld.seed, uint64(i)))}
			defer w.closeKeep()
			for ctx.Err() == nil {
				k := pick(w.rnd, weights)
				t := &ld.tallies[k]
				t.runs.Add(1)
				if err := ld.actions[k].do(w); err != nil {
					t.failed.Add(1)
					t.firstErr.CompareAndSwap(nil, err.Error())
					w.closeKeep()
				}
			}
		}()
	}
	wg.Wait()
}

func (ld *load) total() int64 {
	var n int64
	for i := range ld.tallies {
		n += ld.tallies[i].runs.Load()
	}
	return n
}

// ---- connections -------------------------------------------------------------------------

const reqTimeout = 60 * time.Second

func (w *worker) dial() (net.Conn, error) {
	c, err := net.DialTimeout("tcp", w.ld.addr, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	c.SetDeadline(time.Now().Add(reqTimeout))
	return c, nil
}

// roundTrip sends req on the worker's keep-alive connection (dialling one if needed) and
// reads the response; a response that closes the connection drops it.
func (w *worker) roundTrip(req []byte) (*resp, error) {
	if w.keep == nil {
		c, err := w.dial()
		if err != nil {
			return nil, err
		}
		w.keep, w.br = c, bufio.NewReaderSize(c, 64<<10)
	}
	w.keep.SetDeadline(time.Now().Add(reqTimeout))
	if _, err := w.keep.Write(req); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	r, err := readResponse(w.br, false)
	if err != nil {
		return nil, err
	}
	if r.code >= 500 {
		w.ld.status5xx.Add(1)
	}
	if r.close {
		w.closeKeep()
	}
	return r, nil
}

func (w *worker) closeKeep() {
	if w.keep != nil {
		w.keep.Close()
		w.keep, w.br = nil, nil
	}
}

// resp is a parsed response.
type resp struct {
	code  int
	close bool // Connection: close
	body  []byte
	cut   bool // the connection closed before the Content-Length was complete
}

// readResponse reads one response with a Content-Length body (all the soak app sends). With
// allowCut, a body cut short by the server closing is returned with cut set.
func readResponse(br *bufio.Reader, allowCut bool) (*resp, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("status line: %w", err)
	}
	f := strings.SplitN(strings.TrimRight(line, "\r\n"), " ", 3)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") {
		return nil, fmt.Errorf("malformed status line %q", line)
	}
	r := &resp{}
	if r.code, err = strconv.Atoi(f[1]); err != nil {
		return nil, fmt.Errorf("malformed status line %q", line)
	}
	cl := -1
	for {
		h, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("headers: %w", err)
		}
		h = strings.TrimRight(h, "\r\n")
		if h == "" {
			break
		}
		name, value, _ := strings.Cut(h, ":")
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "content-length":
			cl, _ = strconv.Atoi(value)
		case "connection":
			r.close = strings.EqualFold(value, "close")
		case "transfer-encoding":
			return nil, fmt.Errorf("unexpected Transfer-Encoding %q", value)
		}
	}
	if cl < 0 {
		return nil, fmt.Errorf("status %d without Content-Length", r.code)
	}
	r.body = make([]byte, cl)
	n, err := io.ReadFull(br, r.body)
	if err != nil {
		if allowCut && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || isReset(err)) {
			r.body, r.cut = r.body[:n], true
			return r, nil
		}
		return nil, fmt.Errorf("body: %d of %d bytes: %w", n, cl, err)
	}
	return r, nil
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

// drop closes c, with a reset (SO_LINGER 0) half of the time.
func (w *worker) drop(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok && w.rnd.IntN(2) == 0 {
		tc.SetLinger(0)
	}
	c.Close()
}

// ---- actions -----------------------------------------------------------------------------

func (w *worker) ok() error {
	r, err := w.roundTrip([]byte("GET /ok HTTP/1.1\r\nHost: soak\r\n\r\n"))
	if err != nil {
		return err
	}
	if r.code != 200 || string(r.body) != "ok\n" {
		return fmt.Errorf("/ok: %d %q", r.code, r.body)
	}
	return nil
}

// payload returns n bytes that differ from request to request.
func (w *worker) payload(n int) []byte {
	b := make([]byte, n)
	x := w.rnd.Uint64()
	for i := range b {
		x = x*6364136223846793005 + 1442695040888963407
		b[i] = 'a' + byte(x>>59)
	}
	return b
}

// bodySize is mostly small, sometimes past inbuf_overflow (512 KiB), so spooled.
func (w *worker) bodySize() int {
	if w.rnd.IntN(5) == 0 {
		return 512<<10 + w.rnd.IntN(1536<<10)
	}
	return w.rnd.IntN(16 << 10)
}

func (w *worker) echo() error {
	body := w.payload(w.bodySize())
	req := append([]byte(fmt.Sprintf("POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: %d\r\n\r\n", len(body))), body...)
	r, err := w.roundTrip(req)
	if err != nil {
		return err
	}
	if r.code != 200 || !bytes.Equal(r.body, body) {
		return fmt.Errorf("/echo of %d bytes: %d with %d bytes", len(body), r.code, len(r.body))
	}
	return nil
}

func (w *worker) echoChunked() error {
	body := w.payload(w.bodySize())
	var req bytes.Buffer
	req.WriteString("POST /echo HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n")
	for rest := body; len(rest) > 0; {
		n := min(len(rest), 1+w.rnd.IntN(64<<10))
		fmt.Fprintf(&req, "%x\r\n", n)
		req.Write(rest[:n])
		req.WriteString("\r\n")
		rest = rest[n:]
	}
	req.WriteString("0\r\n\r\n")
	r, err := w.roundTrip(req.Bytes())
	if err != nil {
		return err
	}
	if r.code != 200 || !bytes.Equal(r.body, body) {
		return fmt.Errorf("chunked /echo of %d bytes: %d with %d bytes", len(body), r.code, len(r.body))
	}
	return nil
}

func (w *worker) big() error {
	kb := 1 + w.rnd.IntN(4096)
	r, err := w.roundTrip([]byte(fmt.Sprintf("GET /big?kb=%d HTTP/1.1\r\nHost: soak\r\n\r\n", kb)))
	if err != nil {
		return err
	}
	if r.code != 200 || len(r.body) != kb<<10 {
		return fmt.Errorf("/big?kb=%d: %d with %d bytes", kb, r.code, len(r.body))
	}
	return nil
}

func (w *worker) slow() error {
	r, err := w.roundTrip([]byte(fmt.Sprintf("GET /slow?ms=%d HTTP/1.1\r\nHost: soak\r\n\r\n", w.rnd.IntN(300))))
	if err != nil {
		return err
	}
	if r.code != 200 || string(r.body) != "slow\n" {
		return fmt.Errorf("/slow: %d %q", r.code, r.body)
	}
	return nil
}

func (w *worker) raise() error {
	r, err := w.roundTrip([]byte("GET /raise HTTP/1.1\r\nHost: soak\r\n\r\n"))
	if err != nil {
		return err
	}
	if r.code != 500 || !r.close {
		return fmt.Errorf("/raise: %d (close %v), want 500 and close", r.code, r.close)
	}
	w.ld.expected5xx.Add(1)
	return nil
}

func (w *worker) raiseMid() error {
	c, err := w.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	kb := 1 + w.rnd.IntN(512)
	fmt.Fprintf(c, "GET /raise-mid?kb=%d HTTP/1.1\r\nHost: soak\r\n\r\n", kb)
	r, err := readResponse(bufio.NewReader(c), true)
	if err != nil {
		return fmt.Errorf("/raise-mid: %w", err)
	}
	switch {
	case r.code == 500:
		w.ld.status5xx.Add(1)
		w.ld.expected5xx.Add(1)
	case r.code != 200 || !r.cut || len(r.body) > kb<<10:
		return fmt.Errorf("/raise-mid?kb=%d: %d with %d bytes (cut %v), want a cut-off 200 or a 500", kb, r.code, len(r.body), r.cut)
	}
	return nil
}

var badRequests = []string{
	"POST /x HTTP/1.1\r\nHost: soak\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET /x HTTP/1.1\r\nHost: soak\r\nBad Header: x\r\n\r\n",
	"POST /x HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	"GET /x HTTP/9.9\r\nHost: soak\r\n\r\n",
	"get /x HTTP/1.1\r\nHost: soak\r\n\r\n",
}

func (w *worker) badRequest() error {
	c, err := w.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	req := badRequests[w.rnd.IntN(len(badRequests))]
	io.WriteString(c, req)
	r, err := readResponse(bufio.NewReader(c), false)
	if err != nil {
		return fmt.Errorf("bad request %q: %w", req, err)
	}
	if r.code < 400 || r.code >= 500 && r.code != 501 && r.code != 505 || !r.close {
		return fmt.Errorf("bad request %q: %d (close %v)", req, r.code, r.close)
	}
	if r.code >= 500 {
		w.ld.status5xx.Add(1)
		w.ld.expected5xx.Add(1)
	}
	return nil
}

func (w *worker) dropMidRequest() error {
	c, err := w.dial()
	if err != nil {
		return err
	}
	size := w.bodySize() + 1
	sent := w.rnd.IntN(size)
	head := fmt.Sprintf("POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: %d\r\n\r\n", size)
	if w.rnd.IntN(4) == 0 {
		head = head[:w.rnd.IntN(len(head))] // gone before the head is complete
		sent = 0
	}
	io.WriteString(c, head)
	c.Write(w.payload(sent))
	w.drop(c)
	return nil
}

func (w *worker) dropMidResponse() error {
	c, err := w.dial()
	if err != nil {
		return err
	}
	fmt.Fprintf(c, "GET /big?kb=%d HTTP/1.1\r\nHost: soak\r\n\r\n", 2048+w.rnd.IntN(6144))
	io.CopyN(io.Discard, c, int64(w.rnd.IntN(1<<20)))
	w.drop(c)
	return nil
}

func (w *worker) idle() error {
	c, err := w.dial()
	if err != nil {
		return err
	}
	time.Sleep(time.Duration(w.rnd.IntN(2000)) * time.Millisecond)
	w.drop(c)
	return nil
}
