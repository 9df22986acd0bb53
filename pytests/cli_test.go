package pytests

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The waitress-serve installed by pip into the venv's bin/ serves from the activated venv,
// and its access log reaches Python's logging.
func TestInstalledWaitressServe(t *testing.T) {
	for _, kind := range interpreters {
		t.Run(kind, func(t *testing.T) {
			dir := venv(t, kind)
			port := freePort(t)
			cmd := exec.Command(filepath.Join(dir, "bin", "waitress-serve"), "--host", "127.0.0.1",
				"--port", fmt.Sprint(port), "--access-log", "--access-log-format", "%(m)s %(U)s %(s)s %(b)s", "hello:app")
			cmd.Dir = filepath.Join(repoRoot, "examples")
			cmd.Env = venvEnv(dir)
			p := start(t, cmd)
			url := fmt.Sprintf("http://127.0.0.1:%d/", port)
			p.waitServing(t, url)
			if code, body := get(t, url); code != 200 || body != "Hello, world!\n" {
				t.Fatalf("GET / = %d %q", code, body)
			}
			if !waitFor(5*time.Second, func() bool { return strings.Contains(p.stderr.String(), "INFO:waitress.access:GET / 200 14\n") }) {
				t.Errorf("no access log line for GET /")
			}
			p.cmd.Process.Signal(syscall.SIGINT)
			if err := p.wait(t, 15*time.Second); err != nil {
				t.Fatalf("exit after SIGINT: %v", err)
			}
		})
	}
}

// python -m waitress_go is waitress-serve inside the interpreter: it needs no shared
// libpython, so it serves under Debian's statically linked python too.
func TestPythonDashM(t *testing.T) {
	for _, kind := range interpreters {
		t.Run(kind, func(t *testing.T) {
			dir := venv(t, kind)
			python := filepath.Join(dir, "bin", "python")
			port := freePort(t)
			cmd := exec.Command(python, "-m", "waitress_go", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "hello:app")
			cmd.Dir = filepath.Join(repoRoot, "examples")
			cmd.Env = venvEnv(dir)
			p := start(t, cmd)
			url := fmt.Sprintf("http://127.0.0.1:%d/", port)
			p.waitServing(t, url)
			if code, body := get(t, url); code != 200 || body != "Hello, world!\n" {
				t.Fatalf("GET / = %d %q", code, body)
			}
			checkNoLibpython(t, python, p.cmd.Process.Pid)
			// SIGTERM, as for waitress-serve, drains and exits successfully.
			p.cmd.Process.Signal(syscall.SIGTERM)
			if err := p.wait(t, 15*time.Second); err != nil {
				t.Fatalf("exit after SIGTERM: %v", err)
			}
			if !strings.Contains(p.stderr.String(), "INFO:waitress:Serving on http://127.0.0.1:") {
				t.Errorf("no Serving on line")
			}
		})
	}
}

// checkNoLibpython asserts that a process of an interpreter that does not link libpython
// dynamically indeed runs without one mapped: the static case is exercised.
func checkNoLibpython(t *testing.T, python string, pid int) {
	t.Helper()
	exe, err := filepath.EvalSymlinks(python)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	libs, _ := f.ImportedLibraries()
	f.Close()
	for _, l := range libs {
		if strings.HasPrefix(l, "libpython") {
			t.Logf("%s links %s: the shared case", exe, l)
			return
		}
	}
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(maps), "libpython") {
		t.Errorf("%s links no libpython, yet one is mapped in the server", exe)
	}
	t.Logf("%s: statically linked interpreter, no libpython mapped", exe)
}

func TestPythonDashMErrors(t *testing.T) {
	dir := venv(t, debian)
	python := filepath.Join(dir, "bin", "python")
	for _, tc := range []struct {
		args   []string
		status int
		out    string
	}{
		{[]string{"--help"}, 0, "python -m waitress_go [OPTIONS] MODULE:OBJECT"},
		{[]string{"--threads=0", "hello:app"}, 2, "python -m waitress_go: error: --threads"},
		{[]string{"--bogus", "hello:app"}, 2, "unknown option --bogus"},
		{[]string{"--port=0", "nosuch:app"}, 1, "Error: Bad module 'nosuch'"},
	} {
		cmd := exec.Command(python, append([]string{"-m", "waitress_go"}, tc.args...)...)
		cmd.Dir = filepath.Join(repoRoot, "examples")
		cmd.Env = venvEnv(dir)
		out, err := cmd.CombinedOutput()
		status := 0
		if ee, ok := err.(*exec.ExitError); ok {
			status = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if status != tc.status || !strings.Contains(string(out), tc.out) {
			t.Errorf("%v: status %d, output:\n%s\nwant status %d and %q", tc.args, status, out, tc.status, tc.out)
		}
	}
}
