package pytests

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testdata/test_api.py: serve() with closures and other callables, every keyword form, bad
// keywords, create_server, logging records and the access log, under both interpreters.
func TestPythonAPI(t *testing.T) {
	for _, kind := range interpreters {
		t.Run(kind, func(t *testing.T) {
			dir := venv(t, kind)
			cmd := exec.Command(filepath.Join(dir, "bin", "python"), "-m", "unittest", "-v", "test_api")
			cmd.Dir = filepath.Join(repoRoot, "pytests", "testdata")
			cmd.Env = append(venvEnv(dir), "PYTHONDONTWRITEBYTECODE=1")
			done := make(chan struct{})
			timer := time.AfterFunc(3*time.Minute, func() {
				select {
				case <-done:
				default:
					cmd.Process.Kill()
				}
			})
			out, err := cmd.CombinedOutput()
			close(done)
			timer.Stop()
			if err != nil || !strings.Contains(string(out), "\nOK") {
				t.Fatalf("python -m unittest test_api: %v\n%s", err, out)
			}
			t.Logf("%s", lastLines(string(out), 3))
		})
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Ctrl-C stops serve(): the request in flight is answered, then serve() returns normally, as
// Waitress's does, and the script goes on and exits successfully.
func TestServeCtrlC(t *testing.T) {
	for _, kind := range interpreters {
		t.Run(kind, func(t *testing.T) {
			dir := venv(t, kind)
			port := freePort(t)
			cmd := exec.Command(filepath.Join(dir, "bin", "python"), "serve_sigint.py", fmt.Sprint(port))
			cmd.Dir = filepath.Join(repoRoot, "pytests", "testdata")
			cmd.Env = append(venvEnv(dir), "PYTHONDONTWRITEBYTECODE=1")
			p := start(t, cmd)
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			p.waitServing(t, base+"/")
			type result struct {
				code int
				body string
				err  error
			}
			slow := make(chan result, 1)
			go func() {
				resp, err := http.Get(base + "/slow")
				if err != nil {
					slow <- result{err: err}
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				slow <- result{resp.StatusCode, string(b), err}
			}()
			if !waitFor(10*time.Second, func() bool { return strings.Contains(p.stderr.String(), "slow started") }) {
				t.Fatal("/slow did not start")
			}
			p.cmd.Process.Signal(syscall.SIGINT)
			r := <-slow
			if r.err != nil || r.code != 200 || !strings.HasPrefix(r.body, "done ") {
				t.Errorf("request in flight at Ctrl-C: %d %q %v", r.code, r.body, r.err)
			}
			if err := p.wait(t, 15*time.Second); err != nil {
				t.Fatalf("exit after SIGINT: %v", err)
			}
			if p.stdout.String() != "serve returned\n" {
				t.Errorf("stdout %q: serve() did not return normally", p.stdout.String())
			}
			if strings.Contains(p.stderr.String(), "Traceback") {
				t.Errorf("traceback on stderr")
			}
			if _, err := http.Get(base + "/"); err == nil {
				t.Errorf("still listening after serve() returned")
			}
		})
	}
}

// The demonstration: with the wheel installed in a fresh venv, both waitress-serve
// and serve() from Python serve a Flask app.
func TestServeFlask(t *testing.T) {
	dir := venv(t, pyenv)
	site := flaskSitePackages(t)
	// The fresh venv gets Flask from the cached test venv (same interpreter) through a .pth
	// file: nothing is downloaded.
	ours, _ := filepath.Glob(filepath.Join(dir, "lib", "python3*", "site-packages"))
	if len(ours) != 1 {
		t.Fatalf("site-packages of %s: %v", dir, ours)
	}
	if err := os.WriteFile(filepath.Join(ours[0], "zz-flask-from-test-venv.pth"), []byte(site+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(filepath.Join(ours[0], "zz-flask-from-test-venv.pth")) })
	testdata := filepath.Join(repoRoot, "pytests", "testdata")
	for name, args := range map[string][]string{
		"waitress-serve": {filepath.Join(dir, "bin", "waitress-serve"), "--host", "127.0.0.1", "--port", "PORT", "flaskhello:app"},
		"serve":          {filepath.Join(dir, "bin", "python"), "-c", "from waitress_go import serve; from flaskhello import app; serve(app, host='127.0.0.1', port=PORT)"},
	} {
		t.Run(name, func(t *testing.T) {
			port := fmt.Sprint(freePort(t))
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "PORT", port)
			}
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Dir = testdata
			cmd.Env = append(venvEnv(dir), "PYTHONDONTWRITEBYTECODE=1")
			p := start(t, cmd)
			url := "http://127.0.0.1:" + port + "/"
			p.waitServing(t, url)
			if code, body := get(t, url); code != 200 || body != "Hello from Flask!\n" {
				t.Fatalf("GET / = %d %q", code, body)
			}
			p.cmd.Process.Signal(syscall.SIGINT)
			if err := p.wait(t, 15*time.Second); err != nil {
				t.Fatalf("exit after SIGINT: %v", err)
			}
		})
	}
}

// flaskSitePackages is the site-packages of scripts/test.sh's cached pyenv venv, which has
// Flask ($E2E_VENV_PYENV, else .venv-test/pyenv).
func flaskSitePackages(t *testing.T) string {
	venvDir := os.Getenv("E2E_VENV_PYENV")
	if venvDir == "" {
		venvDir = filepath.Join(repoRoot, ".venv-test", "pyenv")
	}
	sites, _ := filepath.Glob(filepath.Join(venvDir, "lib", "python3*", "site-packages"))
	for _, s := range sites {
		if _, err := os.Stat(filepath.Join(s, "flask")); err == nil {
			return s
		}
	}
	t.Skipf("no Flask in %s: run scripts/test.sh, which creates it", venvDir)
	return ""
}
