package e2e

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestListenForms: every way of giving addresses binds what it says, logs one "Serving on"
// line per socket, and serves on each.
func TestListenForms(t *testing.T) {
	t.Parallel()
	if _, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	tests := []struct {
		name string
		args []string
		want []string // patterns of the Serving URLs, sorted
		// ours: Waitress logs a lone IPv6 socket without brackets ("http://::1:8080"),
		// which is not a URL; ours brackets it as Waitress does when it has several.
		ours bool
	}{
		{"repeated --listen with IPv6", []string{"--listen=127.0.0.1:0", "--listen=[::1]:0"},
			[]string{`http://127\.0\.0\.1:\d+`, `http://\[::1\]:\d+`}, false},
		{"*:port all addresses", []string{"--listen=*:0"},
			[]string{`http://0\.0\.0\.0:\d+`, `http://\[::\]:\d+`}, false},
		{"*:port --no-ipv6", []string{"--listen=*:0", "--no-ipv6"},
			[]string{`http://0\.0\.0\.0:\d+`}, false},
		{"*:port --no-ipv4", []string{"--listen=*:0", "--no-ipv4"},
			[]string{`http://\[::\]:\d+`}, true},
		{"--host and --port", []string{"--host=::1", "--port=0"},
			[]string{`http://\[::1\]:\d+`}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.ours {
				oursOnly(t, "a lone IPv6 socket is logged in brackets")
			}
			s, urls := startListening(t, "ops_app:app", len(tc.want), tc.args)
			time.Sleep(300 * time.Millisecond) // any further line would come right after
			if all := servingAnyRE.FindAllStringSubmatch(s.stderr.String(), -1); len(all) != len(tc.want) {
				t.Fatalf("%d Serving lines, want %d:\n%s", len(all), len(tc.want), s.stderr.String())
			}
			sort.Strings(urls)
			for i, u := range urls {
				if !regexp.MustCompile(`^` + tc.want[i] + `$`).MatchString(u) {
					t.Fatalf("Serving on %v, want %q", urls, tc.want)
				}
				addr := strings.TrimPrefix(u, "http://")
				_, port, _ := net.SplitHostPort(addr)
				// Connect to the loopback address of the family a wildcard bound.
				addr = strings.Replace(strings.Replace(addr, "0.0.0.0", "127.0.0.1", 1), "[::]", "[::1]", 1)
				code, env := envOver(t, addr, "/env", nil)
				if code != 200 || env["SERVER_PORT"] != port {
					t.Fatalf("GET via %s: %d, SERVER_PORT %v, want %s", addr, code, env["SERVER_PORT"], port)
				}
				if strings.HasPrefix(addr, "[") && env["REMOTE_ADDR"] != "::1" {
					t.Errorf("REMOTE_ADDR over IPv6 = %v, want ::1", env["REMOTE_ADDR"])
				}
			}
		})
	}
}

// TestUnixSocket: --unix-socket replaces a stale socket file, sets --unix-socket-perms, logs
// its Serving line and serves over the socket.
func TestUnixSocket(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.sock")
	// A stale socket left by a process that died.
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	_, urls := startListening(t, "ops_app:app", 1, []string{"--unix-socket=" + path, "--unix-socket-perms=640"})
	if urls[0] != "http://unix:"+path {
		t.Fatalf("Serving on %s, want http://unix:%s", urls[0], path)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o640 {
		t.Fatalf("socket mode %v, want a socket with 0640", st.Mode())
	}
	code, env := envOver(t, "unix:"+path, "/env", nil)
	if code != 200 {
		t.Fatalf("GET over the unix socket: %d", code)
	}
	if env["REMOTE_ADDR"] != "localhost" {
		t.Errorf("REMOTE_ADDR over a unix socket = %v, want localhost", env["REMOTE_ADDR"])
	}
}
