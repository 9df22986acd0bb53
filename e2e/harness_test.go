package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	serverOurs     = "ours"
	serverWaitress = "waitress"
)

// Venv names accepted by serverConfig.venv.
const (
	venvPyenv  = "pyenv"
	venvDebian = "debian"
)

var (
	serverKind = envOr("E2E_SERVER", serverOurs)
	repoRoot   string // absolute path of the repository
	appsDir    string // absolute path of e2e/apps
	oursBin    string // the waitress-serve built for this run
	buildErr   error  // why oursBin could not be built
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	repoRoot = filepath.Dir(wd)
	appsDir = filepath.Join(wd, "apps")
	switch serverKind {
	case serverOurs:
		dir, err := os.MkdirTemp("", "e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		oursBin = filepath.Join(dir, "waitress-serve")
		// Built once per run; a failure fails every test that needs the server, not the run.
		cmd := exec.Command("go", "build", "-o", oursBin, "./cmd/waitress-serve")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/waitress-serve: %w\n%s", err, out)
		}
	case serverWaitress:
	default:
		fmt.Fprintf(os.Stderr, "e2e: E2E_SERVER=%q: want %q or %q\n", serverKind, serverOurs, serverWaitress)
		return 2
	}
	return m.Run()
}

// venvPath returns the venv directory of the given kind, skipping the test when it is missing
// (failing instead under CI, where scripts/test.sh must have made it).
func venvPath(t testing.TB, kind string) string {
	t.Helper()
	envKey := map[string]string{venvPyenv: "E2E_VENV_PYENV", venvDebian: "E2E_VENV_DEBIAN"}[kind]
	dir := os.Getenv(envKey)
	if dir == "" {
		dir = filepath.Join(repoRoot, ".venv-test", kind)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin", "python")); err != nil {
		msg := fmt.Sprintf("venv %s not found at %s (set %s or run scripts/test.sh)", kind, dir, envKey)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

func isWaitress() bool { return serverKind == serverWaitress }

// oursOnly skips a test under the reference Waitress, for behaviour where waitress-go differs on
// purpose; why says what differs. E2E_RUN_OURS_ONLY=1 runs them anyway, to see the difference.
func oursOnly(t *testing.T, why string) {
	t.Helper()
	if isWaitress() && os.Getenv("E2E_RUN_OURS_ONLY") != "1" {
		t.Skip("ours only: " + why)
	}
}

// serverConfig describes one server process.
type serverConfig struct {
	app  string   // module:attr, as on the command line
	args []string // extra flags, before the app spec
	venv string   // venvPyenv (default) or venvDebian
	env  []string // extra KEY=VALUE for the process
	kind string   // serverOurs or serverWaitress; default: E2E_SERVER
}

// command returns the command line and environment for cfg under the selected server.
func (cfg serverConfig) command(t testing.TB) *exec.Cmd {
	t.Helper()
	kind := cfg.venv
	if kind == "" {
		kind = venvPyenv
	}
	venv := venvPath(t, kind)
	args := append([]string{"--host=127.0.0.1", "--port=0"}, cfg.args...)
	args = append(args, cfg.app)
	var cmd *exec.Cmd
	server := cfg.kind
	if server == "" {
		server = serverKind
	}
	if server == serverWaitress {
		cmd = exec.Command(filepath.Join(venv, "bin", "waitress-serve"), args...)
	} else {
		if buildErr != nil {
			t.Fatal(buildErr)
		}
		cmd = exec.Command(oursBin, args...)
	}
	cmd.Dir = appsDir
	// If the test binary dies (e.g. -timeout), the server must not outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	env := []string{}
	for _, kv := range os.Environ() {
		// The venv is chosen here, not inherited from whoever runs the tests.
		if strings.HasPrefix(kv, "VIRTUAL_ENV=") || strings.HasPrefix(kv, "PYTHONHOME=") || strings.HasPrefix(kv, "PYTHONPATH=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "VIRTUAL_ENV="+venv, "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	cmd.Env = append(env, cfg.env...)
	return cmd
}

// server is a running server process.
type server struct {
	t      testing.TB
	cmd    *exec.Cmd
	addr   string // host:port it listens on
	port   string
	stderr *lockedBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // exit status, valid after done
}

// lockedBuffer collects a process's output for reading while it still runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var servingRE = regexp.MustCompile(`INFO:waitress:Serving on http://127\.0\.0\.1:(\d+)`)

// startServer starts cfg and waits until it logs the port it listens on. The process is
// stopped when the test ends, and its stderr is logged if the test failed.
func startServer(t testing.TB, cfg serverConfig) *server {
	t.Helper()
	cmd := cfg.command(t)
	s := &server{t: t, cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	cmd.Stdout = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	portCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			s.stderr.Write([]byte(line + "\n"))
			if m := servingRE.FindStringSubmatch(line); m != nil && !sent {
				portCh <- m[1]
				sent = true
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		s.err = cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server %v stderr:\n%s", cmd.Args, s.stderr.String())
		}
	})
	select {
	case p := <-portCh:
		s.port = p
		s.addr = "127.0.0.1:" + p
	case <-s.done:
		t.Fatalf("server %v exited before serving: %v\n%s", cmd.Args, s.err, s.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("server %v did not log its port within 30s\n%s", cmd.Args, s.stderr.String())
	}
	return s
}

// stop sends SIGTERM, then SIGKILL if the process has not exited after 5 s.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// wait waits up to d for the process to exit on its own and returns its exit error.
func (s *server) wait(d time.Duration) (error, bool) {
	select {
	case <-s.done:
		return s.err, true
	case <-time.After(d):
		return nil, false
	}
}

func (s *server) url(path string) string { return "http://" + s.addr + path }

// get does a GET with a fresh net/http client and returns the status and body.
func (s *server) get(t testing.TB, path string) (*http.Response, []byte) {
	t.Helper()
	return s.do(t, "GET", path, nil, nil)
}

// do sends one request with net/http (no compression, no redirects) and reads the whole body.
func (s *server) do(t testing.TB, method, path string, body io.Reader, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.url(path), body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp, data
}

var httpClient = &http.Client{
	Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 8},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// isClosedErr reports whether err means the peer closed or reset the connection.
func isClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE)
}
