package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// runServerCmd runs the server with exactly args and extra environment, waits for it to exit
// (within 20 s) and returns its exit code and stderr.
func runServerCmd(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	base := serverConfig{env: env}.command(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, base.Path, args...)
	cmd.Dir, cmd.Env = base.Dir, base.Env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v did not exit within 20 s\n%s", args, stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("%v killed by %v (a crash, not an error exit)\n%s", args, ws.Signal(), stderr.String())
		}
		return ee.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return 0, stderr.String()
}

// checkOneLineError checks a startup failure: the wanted exit code (0: any non-zero), a
// single line on stderr that contains every one of want, and no sign of serving.
func checkOneLineError(t *testing.T, code int, stderr string, wantCode int, want ...string) {
	t.Helper()
	if code == 0 || (wantCode != 0 && code != wantCode) {
		t.Errorf("exit status %d, want %d (0: any non-zero)", code, wantCode)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 {
		t.Errorf("want a one-line error, got %d lines:\n%s", len(lines), stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("error lacks %q:\n%s", w, stderr)
		}
	}
	if strings.Contains(stderr, "Serving on") {
		t.Errorf("server started anyway:\n%s", stderr)
	}
}

// TestFaultInterpreterInit: an interpreter that cannot be embedded is a one-line error and
// exit status 2, never a crash or a Python fatal-error dump.
func TestFaultInterpreterInit(t *testing.T) {
	oursOnly(t, "Waitress has no --python; it is the interpreter")
	t.Parallel()
	dir := t.TempDir()

	t.Run("python without a shared libpython", func(t *testing.T) {
		// Answers the server's probe as a CPython built without --enable-shared (pyenv's
		// default) would. Another build's libpython3.11.so may well be on the system's library
		// path: loading that one instead would run this interpreter's site-packages on a
		// different Python build.
		py := filepath.Join(dir, "static", "bin", "python")
		os.MkdirAll(filepath.Dir(py), 0o755)
		os.MkdirAll(filepath.Join(dir, "static", "lib"), 0o755)
		prefix := filepath.Join(dir, "static")
		script := fmt.Sprintf(`#!/bin/sh
echo '{"executable": "%[1]s/bin/python", "version": "3.11.7", "hexversion": 51054576, "prefix": "%[1]s", "exec_prefix": "%[1]s", "base_prefix": "%[1]s", "path": ["%[1]s/lib/python3.11"], "libdir": "%[1]s/lib", "ldlibrary": "libpython3.11.a", "instsoname": "libpython3.11.a", "multiarch": "x86_64-linux-gnu", "shared": false, "impl": "cpython", "gil_disabled": false}'
`, prefix)
		os.WriteFile(py, []byte(script), 0o755)
		code, stderr := runServerCmd(t, nil, "--python="+py, "--host=127.0.0.1", "--port=0", "hostile_app:app")
		checkOneLineError(t, code, stderr, 2, "shared")
	})

	t.Run("PYTHONHOME pointing nowhere", func(t *testing.T) {
		code, stderr := runServerCmd(t, []string{"PYTHONHOME=" + filepath.Join(dir, "nowhere")},
			"--host=127.0.0.1", "--port=0", "hostile_app:app")
		// The reason must be in the line, not Python's "<no Python frame>".
		checkOneLineError(t, code, stderr, 2, "encodings")
	})

	t.Run("probe works but the embedded start fails", func(t *testing.T) {
		// A wrapper (like a shim) that cleans the environment for the interpreter it runs:
		// the probe succeeds, and the embedded interpreter then sees the broken PYTHONHOME.
		real := filepath.Join(venvPath(t, venvPyenv), "bin", "python")
		wrap := filepath.Join(dir, "wrapper", "python")
		os.MkdirAll(filepath.Dir(wrap), 0o755)
		os.WriteFile(wrap, []byte("#!/bin/sh\nunset PYTHONHOME\nexec "+real+" \"$@\"\n"), 0o755)
		code, stderr := runServerCmd(t, []string{"PYTHONHOME=" + filepath.Join(dir, "nowhere")},
			"--python="+wrap, "--host=127.0.0.1", "--port=0", "hostile_app:app")
		checkOneLineError(t, code, stderr, 2, "encodings")
	})
}

// TestFaultAppImport: an app module that fails while being imported stops the server with a
// non-zero status and an error naming the module and the cause.
func TestFaultAppImport(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ module, cause string }{
		{"import_raises_app", "RuntimeError: e2e: import failed"},
		{"import_syntax_app", "SyntaxError"},
		{"import_exit_app", "SystemExit: 3"},
		{"import_missing_dep_app", "No module named 'no_such_dependency_e2e'"},
	} {
		t.Run(tt.module, func(t *testing.T) {
			t.Parallel()
			code, stderr := runServerCmd(t, nil, "--host=127.0.0.1", "--port=0", tt.module+":app")
			if code == 0 {
				t.Fatalf("exit status 0\n%s", stderr)
			}
			if strings.Contains(stderr, "Serving on") {
				t.Fatalf("server started anyway:\n%s", stderr)
			}
			if !isWaitress() {
				if last := lastLine(stderr); !strings.Contains(last, tt.module) || !strings.Contains(last, tt.cause) {
					t.Errorf("last line %q does not name %s and %q\n%s", last, tt.module, tt.cause, stderr)
				}
			} else if tt.module != "import_exit_app" && !strings.Contains(stderr, strings.TrimPrefix(tt.cause, "RuntimeError: ")) {
				t.Errorf("stderr lacks %q:\n%s", tt.cause, stderr)
			}
		})
	}
}

// TestFaultListen: addresses that cannot be listened on.
func TestFaultListen(t *testing.T) {
	t.Parallel()
	oneLine := !isWaitress() // Waitress prints a traceback
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o644)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"port taken", []string{"--host=127.0.0.1", "--port=" + port}, "address already in use"},
		{"unix socket in a missing directory", []string{"--unix-socket=" + filepath.Join(dir, "missing", "s.sock")}, "no such file or directory"},
		{"unix socket under a file", []string{"--unix-socket=" + filepath.Join(file, "s.sock")}, "not a directory"},
		{"unix socket in /proc", []string{"--unix-socket=/proc/e2e.sock"}, "/proc/e2e.sock"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stderr := runServerCmd(t, nil, append(tt.args, "hostile_app:app")...)
			if oneLine {
				checkOneLineError(t, code, stderr, 0, tt.want)
			} else if code == 0 || strings.Contains(stderr, "Serving on") {
				t.Errorf("exit status %d:\n%s", code, stderr)
			}
		})
	}
}

// mountTmpfs mounts a tmpfs of 1 MiB (read-only if ro) for the test, or skips the test when
// that is not possible (not root, no mount permission).
func mountTmpfs(t *testing.T, ro bool) string {
	t.Helper()
	dir := t.TempDir()
	opts := "size=1m"
	if ro {
		opts += ",ro"
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "e2e-tmpfs", dir).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot mount a tmpfs (needs root): %v %s", err, out)
		if os.Getenv("CI") == "true" && os.Geteuid() == 0 {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// TestFaultSpoolDisk: the file system under TMPDIR is full or read-only. A body that must be
// spooled gets an error response (not a silent close), and everything else keeps working:
// small requests, and large responses, which are kept in memory instead.
func TestFaultSpoolDisk(t *testing.T) {
	oursOnly(t, "Waitress closes the connection without a response when the spool write fails")
	for _, tt := range []struct {
		name string
		ro   bool
	}{{"full", false}, {"read-only", true}} {
		t.Run(tt.name, func(t *testing.T) {
			tmp := mountTmpfs(t, tt.ro)
			s := startServer(t, serverConfig{app: "hostile_app:app", env: []string{"TMPDIR=" + tmp}})
			body := strings.Repeat("u", 4<<20)
			for _, req := range []struct{ name, raw string }{
				{"Content-Length", fmt.Sprintf("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s", len(body), body)},
				{"chunked", "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat(chunk(strings.Repeat("u", 65536)), 64) + "0\r\n\r\n"},
			} {
				t.Run("4 MiB upload "+req.name, func(t *testing.T) {
					c := dialRaw(t, s)
					go func() {
						c.c.SetWriteDeadline(time.Now().Add(rawTimeout))
						io.WriteString(c.c, req.raw)
					}()
					r, err := c.read("POST")
					if err != nil {
						t.Fatalf("want an error response, got %v (%v)", err, r)
					}
					// With a read-only TMPDIR a server may also spool elsewhere, as Python's
					// tempfile does, and succeed.
					if !(r.Code >= 500 || (tt.ro && r.Code == 200 && string(r.Body) == strconv.Itoa(4<<20))) {
						t.Fatalf("want a 5xx, got %v", r)
					}
				})
			}
			t.Run("large response", func(t *testing.T) {
				resp, data := s.get(t, "/big?mb=4")
				if resp.StatusCode != 200 || len(data) != 4<<20 {
					t.Fatalf("got %d with %d bytes", resp.StatusCode, len(data))
				}
			})
			t.Run("small upload", func(t *testing.T) {
				resp, data := s.do(t, "POST", "/upload", strings.NewReader("hello"), nil)
				if resp.StatusCode != 200 || string(data) != "5" {
					t.Fatalf("got %d %q", resp.StatusCode, data)
				}
			})
		})
	}
}

// TestFaultStopSignals: SIGTERM or SIGINT while requests are running, queued, uploading and
// downloading. Every request the server has started on completes in full; idle connections
// close at once; new connections are refused; the process exits 0.
func TestFaultStopSignals(t *testing.T) {
	oursOnly(t, "Waitress dies on SIGTERM and SIGINT without finishing requests")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			s := startServer(t, serverConfig{app: "hostile_app:app", args: []string{"--threads=4"}})
			type result struct {
				what string
				err  error
			}
			results := make(chan result, 32)
			var wg sync.WaitGroup
			run := func(what string, f func() error) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results <- result{what, f()}
				}()
			}
			// 8 sleeping requests on 4 threads: 4 run, 4 wait in the queue.
			for i := 0; i < 8; i++ {
				c := dialRaw(t, s)
				c.send(get("/sleep?s=1"))
				run(fmt.Sprintf("sleep %d", i), func() error {
					r, err := c.read("GET")
					if err != nil {
						return err
					}
					if r.Code != 200 || string(r.Body) != "slept\n" {
						return fmt.Errorf("got %v", r)
					}
					return nil
				})
			}
			// Uploads half sent when the signal comes.
			const up = 8 << 20
			upHalf := make(chan struct{})
			for i := 0; i < 2; i++ {
				c := dialRaw(t, s)
				run(fmt.Sprintf("upload %d", i), func() error {
					io.WriteString(c.c, fmt.Sprintf("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n", up))
					piece := strings.Repeat("u", 1<<20)
					for j := 0; j < up>>20; j++ {
						if j == 4 {
							upHalf <- struct{}{}
							time.Sleep(500 * time.Millisecond)
						}
						if _, err := io.WriteString(c.c, piece); err != nil {
							return err
						}
					}
					r, err := c.read("POST")
					if err != nil {
						return err
					}
					if r.Code != 200 || string(r.Body) != strconv.Itoa(up) {
						return fmt.Errorf("got %v", r)
					}
					return nil
				})
			}
			// Downloads read at about 16 MiB/s, still going when the signal comes.
			const down = 32
			for i := 0; i < 2; i++ {
				c := dialRaw(t, s)
				c.send(get(fmt.Sprintf("/big?mb=%d", down)))
				run(fmt.Sprintf("download %d", i), func() error {
					c.c.SetReadDeadline(time.Now().Add(20 * time.Second))
					line, err := c.r.ReadString('\n')
					if err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
						return fmt.Errorf("status line %q: %v", line, err)
					}
					for {
						l, err := c.r.ReadString('\n')
						if err != nil {
							return err
						}
						if l == "\r\n" {
							break
						}
					}
					var n int64
					buf := make([]byte, 64<<10)
					for n < down<<20 {
						k, err := c.r.Read(buf)
						n += int64(k)
						if err != nil {
							return fmt.Errorf("body cut off after %d of %d bytes: %w", n, down<<20, err)
						}
						time.Sleep(4 * time.Millisecond)
					}
					return nil
				})
			}
			// Idle keep-alive connections.
			var idle []*rawConn
			for i := 0; i < 3; i++ {
				c := dialRaw(t, s)
				c.send(get("/hello"))
				c.mustRead("GET")
				idle = append(idle, c)
			}

			<-upHalf
			<-upHalf
			time.Sleep(300 * time.Millisecond)
			if err := s.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			for _, c := range idle {
				c.expectClosed(2 * time.Second)
			}
			if waitFor(2*time.Second, func() bool {
				c, err := net.DialTimeout("tcp", s.addr, time.Second)
				if err == nil {
					c.Close()
				}
				return err != nil
			}) == false {
				t.Errorf("still accepting connections 2 s after %v", sig)
			}
			wg.Wait()
			close(results)
			for r := range results {
				if r.err != nil {
					t.Errorf("%s, in flight during %v: %v", r.what, sig, r.err)
				}
			}
			err, exited := s.wait(15 * time.Second)
			if !exited {
				t.Fatalf("still running 15 s after %v", sig)
			}
			if err != nil {
				t.Errorf("exit after %v: %v, want status 0", sig, err)
			}
		})
	}
}
