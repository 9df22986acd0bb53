package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const gib = 1 << 30

// TestGiBTransfersBoundedRSS: a 1 GiB upload (spooled to disk) and a 1 GiB download each
// leave the server's peak resident memory (VmHWM) under 100 MB.
func TestGiBTransfersBoundedRSS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s *server)
	}{
		{"upload", func(t *testing.T, s *server) {
			c := dialRaw(t, s)
			c.send(fmt.Sprintf("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", gib))
			done := make(chan error, 1)
			go func() {
				c.c.SetWriteDeadline(time.Now().Add(60 * time.Second))
				_, err := io.Copy(c.c, io.LimitReader(zeros{}, gib))
				done <- err
			}()
			c.c.SetReadDeadline(time.Now().Add(60 * time.Second))
			r := c.mustRead("POST")
			if err := <-done; err != nil {
				t.Fatalf("sending: %v", err)
			}
			if r.Code != 200 || string(r.Body) != strconv.Itoa(gib) {
				t.Fatalf("got %d %q, want the app to have read %d bytes", r.Code, r.Body, gib)
			}
		}},
		{"download", func(t *testing.T, s *server) {
			c := dialRaw(t, s)
			c.send(get(fmt.Sprintf("/big?n=%d", gib)))
			c.c.SetReadDeadline(time.Now().Add(60 * time.Second))
			br := bufio.NewReaderSize(c.c, 1<<20)
			cl := int64(-1)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatal(err)
				}
				if line == "\r\n" {
					break
				}
				if v, ok := strings.CutPrefix(strings.ToLower(line), "content-length: "); ok {
					cl, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				}
			}
			n, err := io.Copy(io.Discard, io.LimitReader(br, gib))
			if err != nil || n != gib || cl != gib {
				t.Fatalf("read %d bytes (Content-Length %d): %v", n, cl, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, serverConfig{app: "ops_app:app", args: []string{"--max-request-body-size=2147483648"},
				env: []string{"TMPDIR=" + t.TempDir()}})
			start := time.Now()
			tc.run(t, s)
			hwm := procStatusKB(t, s, "VmHWM")
			t.Logf("%s of 1 GiB in %v, server VmHWM %d MB", tc.name, time.Since(start).Round(time.Millisecond), hwm/1024)
			if hwm > 100*1000 {
				t.Fatalf("server peak RSS %d kB after a 1 GiB %s, want under 100 MB", hwm, tc.name)
			}
		})
	}
}

// procStatusKB reads a "kB" field of /proc/PID/status of the server.
func procStatusKB(t *testing.T, s *server, field string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(s.cmd.Process.Pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("%s: %q", field, line)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc status", field)
	return 0
}
