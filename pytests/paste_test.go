package pytests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// use = egg:waitress_go#main in a PasteDeploy ini runs under Pyramid's pserve: the ini's
// settings reach the server as adjustments, and its logging configuration decides what is
// shown (the access log at INFO through the "waitress" logger's level).
func TestPserve(t *testing.T) {
	dir := venv(t, debian) // sees Debian's python3-pyramid and python3-pastedeploy
	python := filepath.Join(dir, "bin", "python")
	if out, err := exec.Command(python, "-c", "import pyramid.scripts.pserve, paste.deploy").CombinedOutput(); err != nil {
		t.Skipf("needs Debian's python3-pyramid and python3-pastedeploy (apt-get install python3-pyramid python3-pastedeploy): %s", out)
	}
	port := freePort(t)
	ini, err := os.ReadFile(filepath.Join(repoRoot, "pytests", "testdata", "app.ini"))
	if err != nil {
		t.Fatal(err)
	}
	iniPath := filepath.Join(t.TempDir(), "app.ini")
	if err := os.WriteFile(iniPath, []byte(strings.ReplaceAll(string(ini), "PORT", fmt.Sprint(port))), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-m", "pyramid.scripts.pserve", iniPath)
	cmd.Dir = filepath.Join(repoRoot, "pytests", "testdata")
	cmd.Env = append(venvEnv(dir), "PYTHONDONTWRITEBYTECODE=1", "PYTHONPATH="+cmd.Dir)
	p := start(t, cmd)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	p.waitServing(t, base+"/pfx/")
	if code, body := get(t, base+"/pfx/"); code != 200 || body != "Hello from Pyramid, ini\n" {
		t.Fatalf("GET /pfx/ = %d %q", code, body)
	}
	if !strings.Contains(p.stderr.String(), fmt.Sprintf("INFO [waitress] Serving on http://127.0.0.1:%d\n", port)) {
		t.Errorf("no Serving on line in the ini's format")
	}
	if !waitFor(5*time.Second, func() bool {
		return strings.Contains(p.stderr.String(), `INFO [waitress.access] 127.0.0.1 - - [`) &&
			strings.Contains(p.stderr.String(), `"GET /pfx/ HTTP/1.1" 200 24 "-" "Go-http-client/1.1"`)
	}) {
		t.Errorf("no access log line")
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	if err := p.wait(t, 15*time.Second); err != nil {
		t.Fatalf("pserve exit after SIGINT: %v", err)
	}
}
