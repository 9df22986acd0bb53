package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlaskApp serves a Flask app from each supported interpreter's venv: pyenv's 3.11 and
// Debian's /usr/bin/python3 (libpython3.11 package). The app reports which interpreter ran it.
func TestFlaskApp(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{venvPyenv, venvDebian} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			venv := venvPath(t, kind)
			s := startServer(t, serverConfig{app: "flask_app:app", venv: kind})

			resp, body := s.get(t, "/")
			if resp.StatusCode != 200 || string(body) != "Hello from Flask!" ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("GET /: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}

			resp, body = s.do(t, "POST", "/json?a=1&b=x", strings.NewReader(`{"k": [1, 2]}`),
				map[string][]string{"Content-Type": {"application/json"}})
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("POST /json: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			var got struct {
				Method, Python, Prefix string
				Args                   map[string]string
				Body                   map[string][]int
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("POST /json: %v: %s", err, body)
			}
			if got.Method != "POST" || got.Args["a"] != "1" || got.Args["b"] != "x" || len(got.Body["k"]) != 2 {
				t.Errorf("POST /json: %s", body)
			}
			// The app must run inside the venv it was started with.
			if want, _ := filepath.EvalSymlinks(venv); got.Prefix != venv && got.Prefix != want {
				t.Errorf("sys.prefix = %q, want the venv %q", got.Prefix, venv)
			}
			// And with the venv's own interpreter (pyenv's and Debian's 3.11 differ in the micro
			// version), not with whichever libpython was found first.
			if want := venvVersion(t, venv); got.Python != want {
				t.Errorf("app ran on Python %s, the venv's interpreter is %s", got.Python, want)
			}

			resp, _ = s.get(t, "/missing")
			if resp.StatusCode != 404 {
				t.Errorf("GET /missing: %d, want Flask's 404", resp.StatusCode)
			}
		})
	}
}

// venvVersion reads the interpreter version recorded in the venv's pyvenv.cfg.
func venvVersion(t *testing.T, venv string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(venv, "pyvenv.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && (strings.TrimSpace(k) == "version" || strings.TrimSpace(k) == "version_info") {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no version in %s/pyvenv.cfg", venv)
	return ""
}
