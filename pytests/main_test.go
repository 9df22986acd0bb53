package pytests

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	repoRoot string
	wheel    string // the wheel built for this run
	buildErr error  // why it could not be built
	tmpRoot  string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pytests:", err)
		return 1
	}
	repoRoot = filepath.Dir(wd)
	restoreSIGINT()
	tmpRoot, err = os.MkdirTemp("", "pytests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pytests:", err)
		return 1
	}
	defer os.RemoveAll(tmpRoot)
	// Built once per run; a failure fails every test, not the run.
	cmd := exec.Command("bash", "scripts/build-wheel.sh")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "OUT="+filepath.Join(tmpRoot, "dist"), "BUILD="+filepath.Join(tmpRoot, "build"))
	if out, err := cmd.CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("scripts/build-wheel.sh: %w\n%s", err, out)
	} else if ws, _ := filepath.Glob(filepath.Join(tmpRoot, "dist", "waitress_go-*.whl")); len(ws) != 1 {
		buildErr = fmt.Errorf("scripts/build-wheel.sh made %d wheels: %v\n%s", len(ws), ws, out)
	} else {
		wheel = ws[0]
	}
	return m.Run()
}

// restoreSIGINT makes sure the Pythons we start see SIGINT with its default disposition, so
// that they install their KeyboardInterrupt handler: a test run started in the background by
// a non-interactive shell inherits SIGINT ignored, and exec keeps ignored signals ignored but
// resets caught ones.
func restoreSIGINT() {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		if hex, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			if err == nil && mask&(1<<(uint(syscall.SIGINT)-1)) != 0 {
				signal.Notify(make(chan os.Signal, 1), syscall.SIGINT)
			}
		}
	}
}

// Interpreters the venvs are made from.
const (
	pyenv  = "pyenv"  // python3 on PATH: pyenv's, with a shared libpython
	debian = "debian" // /usr/bin/python3: Debian's, libpython linked in statically
)

var interpreters = []string{pyenv, debian}

var venvs struct {
	sync.Mutex
	made map[string]string
	errs map[string]error
}

// venv returns a fresh venv of kind with the wheel installed offline, made once per run. The
// Debian one sees Debian's site-packages too (python3-pyramid for the pserve test).
func venv(t *testing.T, kind string) string {
	t.Helper()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	venvs.Lock()
	defer venvs.Unlock()
	if dir, ok := venvs.made[kind]; ok {
		if err := venvs.errs[kind]; err != nil {
			t.Fatal(err)
		}
		return dir
	}
	if venvs.made == nil {
		venvs.made, venvs.errs = map[string]string{}, map[string]error{}
	}
	dir := filepath.Join(tmpRoot, "venv-"+kind)
	venvs.made[kind] = dir
	err := makeVenv(kind, dir)
	venvs.errs[kind] = err
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func makeVenv(kind, dir string) error {
	var args []string
	switch kind {
	case pyenv:
		py, err := exec.LookPath("python3")
		if err != nil {
			return fmt.Errorf("python3 on PATH: %w", err)
		}
		args = []string{py, "-m", "venv", dir}
	case debian:
		if _, err := os.Stat("/usr/bin/python3"); err != nil {
			return fmt.Errorf("Debian's python: %w", err)
		}
		args = []string{"/usr/bin/python3", "-m", "venv", "--system-site-packages", dir}
	}
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out)
	}
	pip := exec.Command(filepath.Join(dir, "bin", "python"), "-m", "pip", "install", "--no-index",
		"--no-input", "--disable-pip-version-check", wheel)
	if out, err := pip.CombinedOutput(); err != nil {
		return fmt.Errorf("pip install --no-index %s: %w\n%s", wheel, err, out)
	}
	return nil
}

// venvEnv is the environment of an activated venv.
func venvEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIRTUAL_ENV=") && !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "PYTHONPATH=") {
			env = append(env, kv)
		}
	}
	return append(env, "VIRTUAL_ENV="+dir, "PATH="+filepath.Join(dir, "bin")+":"+os.Getenv("PATH"))
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// proc is a started server process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{}
	err            error
}

// start runs cmd and kills it when the test ends, logging its output on failure.
func start(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args, " "), p.stdout.String(), p.stderr.String())
		}
	})
	return p
}

// wait returns the exit error (nil for status 0) or fails the test after d.
func (p *proc) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		t.Fatalf("%s still running after %v", p.cmd.Args[0], d)
		return nil
	}
}

// waitFor polls cond for up to d.
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

// waitServing waits until url answers (serve() logs nothing unless logging is configured,
// as in Waitress).
func (p *proc) waitServing(t *testing.T, url string) {
	t.Helper()
	ok := waitFor(20*time.Second, func() bool {
		select {
		case <-p.done:
			return true
		default:
		}
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	select {
	case <-p.done:
		t.Fatalf("exited before serving: %v", p.err)
	default:
	}
	if !ok {
		t.Fatalf("not serving %s after 20s", url)
	}
}

// get returns the status and body of a GET.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
