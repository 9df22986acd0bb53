package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMGraceful checks that SIGTERM lets the request in flight finish and then exits 0.
func TestSIGTERMGraceful(t *testing.T) {
	// Waitress installs no SIGTERM handler: Python's default action kills it at once, dropping
	// the request. waitress-go drains in-flight requests first (service managers send SIGTERM).
	oursOnly(t, "Waitress dies on SIGTERM without finishing requests")
	s := startServer(t, serverConfig{app: "sleepy_app:app"})
	c := dialRaw(t, s)
	c.send(get("/?s=1.5"))
	time.Sleep(500 * time.Millisecond) // the app is sleeping now
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r, err := c.read("GET")
	if err != nil {
		t.Fatalf("request in flight during SIGTERM: %v", err)
	}
	if r.Code != 200 || !strings.HasPrefix(string(r.Body), "slept 1.500") {
		t.Fatalf("want the full response, got %v", r)
	}
	err, exited := s.wait(10 * time.Second)
	if !exited {
		t.Fatal("server still running 10 s after SIGTERM")
	}
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v, want status 0", err)
	}
}
