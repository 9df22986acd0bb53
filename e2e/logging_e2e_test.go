package e2e

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAppLoggingConfigControlsServer: an app that calls logging.basicConfig(format=...) at
// import decides the format of the server's own "Serving on" and error lines.
func TestAppLoggingConfigControlsServer(t *testing.T) {
	t.Parallel()
	s := launch(t, "logging_app:app", []string{"--host=127.0.0.1", "--port=0"})
	m := s.waitLog(t, regexp.MustCompile(`(?m)^CUSTOMFMT waitress\|INFO\|Serving on http://127\.0\.0\.1:(\d+)$`), 1, 30*time.Second)
	s.addr = "127.0.0.1:" + m[0][1]
	resp, _ := fetch(t, s.addr, "GET", "/boom", nil, nil)
	if resp.StatusCode != 500 {
		t.Fatalf("/boom: %d", resp.StatusCode)
	}
	s.waitLog(t, regexp.MustCompile(`(?m)^CUSTOMFMT waitress\|ERROR\|Exception while serving /boom$`), 1, 5*time.Second)
	if strings.Contains(s.stderr.String(), "INFO:waitress:") {
		t.Fatalf("the default format was used as well:\n%s", s.stderr.String())
	}
}

// TestDefaultLogging: the command's default logging shows the Serving line and errors, not
// one line per request.
func TestDefaultLogging(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "ops_app:app"})
	for _, p := range []string{"/env", "/sleep?s=0.01", "/nothing"} {
		if resp, _ := fetch(t, s.addr, "GET", p, nil, nil); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
	time.Sleep(200 * time.Millisecond)
	for _, line := range strings.Split(strings.TrimSpace(s.stderr.String()), "\n") {
		if !strings.HasPrefix(line, "INFO:waitress:Serving on ") {
			t.Errorf("unexpected log line %q", line)
		}
	}
}

// TestTaskQueueDepthLogged: requests waiting for a free thread log "Task queue depth" on
// the waitress.queue logger.
func TestTaskQueueDepthLogged(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "ops_app:app", args: []string{"--threads=1"}})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fetch(t, s.addr, "GET", "/sleep?s=0.4", nil, nil)
		}()
	}
	wg.Wait()
	s.waitLog(t, regexp.MustCompile(`(?m)^WARNING:waitress\.queue:Task queue depth is [123]$`), 1, 5*time.Second)
}
