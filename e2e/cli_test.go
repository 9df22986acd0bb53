package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runCLI runs the server command with exactly args (no --host/--port added) and returns its
// exit code, stdout and stderr. The command must end by itself within 20 s.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := serverConfig{}.command(t)
	cmd.Args = append(cmd.Args[:1], args...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd = exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	base := serverConfig{}.command(t)
	cmd.Dir, cmd.Env, cmd.SysProcAttr = base.Dir, base.Env, base.SysProcAttr
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v did not exit within 20 s\nstderr:\n%s", args, stderr.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return code, stdout.String(), stderr.String()
}

// lastLine returns the last non-blank line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n\t "), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func TestCLIBadAppSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		ours     bool   // ours only (see skip message)
		lastHas  string // the last stderr line must contain this
		anywhere string // stderr must contain this somewhere (any case)
	}{
		{name: "unknown module", args: []string{"no_such_module_xyz:app"}, lastHas: "no_such_module_xyz"},
		{name: "missing attribute", args: []string{"environ_app:nope"}, lastHas: "nope"},
		{name: "unknown option", args: []string{"--bogus-flag", "environ_app:app"}, anywhere: "--bogus-flag"},
		{name: "no app", args: []string{}, anywhere: "specify"},
		{name: "two apps", args: []string{"environ_app:app", "echo_app:app"}, anywhere: "specify"},
		// Waitress starts serving a non-callable and answers every request with a 500;
		// waitress-go refuses to start, which is what a user wants from a typo.
		{name: "not callable", args: []string{"notcallable_app:app"}, ours: true, lastHas: "callable"},
		// --call with something that is not a factory fails on the call.
		{name: "call non-factory", args: []string{"--call", "environ_app:app"}, anywhere: "environ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.ours {
				oursOnly(t, "Waitress serves a non-callable app")
			}
			args := append([]string{"--host=127.0.0.1", "--port=0"}, tt.args...)
			code, _, stderr := runCLI(t, args...)
			if code == 0 {
				t.Fatalf("exit status 0, want non-zero\nstderr:\n%s", stderr)
			}
			if tt.lastHas != "" && !strings.Contains(lastLine(stderr), tt.lastHas) {
				t.Errorf("last stderr line %q does not name %q\nstderr:\n%s", lastLine(stderr), tt.lastHas, stderr)
			}
			if !strings.Contains(strings.ToLower(stderr), strings.ToLower(tt.anywhere)) {
				t.Errorf("stderr lacks %q:\n%s", tt.anywhere, stderr)
			}
			if strings.Contains(stderr, "Serving on") {
				t.Errorf("server started anyway:\n%s", stderr)
			}
		})
	}
}

func TestCLIHelp(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, "--help")
	if code != 0 {
		t.Fatalf("--help exit status %d\n%s", code, stderr)
	}
	for _, want := range []string{"MODULE:OBJECT", "--host", "--port", "--threads", "--call", "expose-tracebacks", "--url-scheme", "--url-prefix", "--listen", "--unix-socket", "--ident", "--channel-timeout", "--connection-limit", "--max-request-body-size"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--help output lacks %q", want)
		}
	}
}

func TestCLICallFactory(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "factory_app:create_app", args: []string{"--call"}})
	resp, body := s.get(t, "/")
	if resp.StatusCode != 200 || string(body) != "made by the factory\n" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
}
