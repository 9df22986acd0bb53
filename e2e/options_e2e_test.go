package e2e

import (
	"strings"
	"testing"
)

// TestURLPrefix: --url-prefix becomes SCRIPT_NAME and is stripped from PATH_INFO, as
// Waitress splits them, including for paths outside the prefix.
func TestURLPrefix(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "ops_app:app", args: []string{"--url-prefix=/app/"}})
	tests := []struct{ path, script, info string }{
		{"/app/env", "/app", "/env"},
		{"/app/x/env", "/app", "/x/env"},
		{"//app/env", "/app", "/env"},
		{"/app-x/env", "/app", "/app-x/env"},   // shares a prefix but is outside it
		{"/other/env", "/app", "/other/env"},   // outside the prefix: left whole
		{"/app/a%2Fb/env", "/app", "/a/b/env"}, // decoded before the split
		{"/application/env", "/app", "/application/env"},
	}
	for _, tc := range tests {
		code, env := envOver(t, s.addr, tc.path, nil)
		if code != 200 || env["SCRIPT_NAME"] != tc.script || env["PATH_INFO"] != tc.info {
			t.Errorf("%s: %d SCRIPT_NAME %v PATH_INFO %v, want %q %q", tc.path, code,
				env["SCRIPT_NAME"], env["PATH_INFO"], tc.script, tc.info)
		}
	}
}

// TestServerIdentityOptions: --url-scheme, --ident and --server-name reach the environ and
// the Server header.
func TestServerIdentityOptions(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "ops_app:app", args: []string{
		"--url-scheme=https", "--ident=acme-edge", "--server-name=app.internal"}})
	resp, _ := fetch(t, s.addr, "GET", "/env", nil, nil)
	if got := resp.Header.Get("Server"); got != "acme-edge" {
		t.Errorf("Server header %q, want acme-edge", got)
	}
	_, env := envOver(t, s.addr, "/env", nil)
	want := map[string]any{"wsgi.url_scheme": "https", "SERVER_SOFTWARE": "acme-edge", "SERVER_NAME": "app.internal"}
	for k, w := range want {
		if env[k] != w {
			t.Errorf("%s = %#v, want %#v", k, env[k], w)
		}
	}
}

// TestBadOptionValues: a bad value is a one-line error naming the flag and a non-zero exit,
// before anything is served.
func TestBadOptionValues(t *testing.T) {
	t.Parallel()
	oursOnly(t, "Waitress prints a usage text or a traceback")
	tests := []struct {
		args []string
		flag string
	}{
		{[]string{"--port=70000"}, "--port"},
		{[]string{"--port=-1"}, "--port"},
		{[]string{"--threads=0"}, "--threads"},
		{[]string{"--threads=many"}, "--threads"},
		{[]string{"--max-request-body-size=-5"}, "--max-request-body-size"},
		{[]string{"--max-request-header-size=1x"}, "--max-request-header-size"},
		{[]string{"--inbuf-overflow=-1"}, "--inbuf-overflow"},
		{[]string{"--outbuf-overflow=big"}, "--outbuf-overflow"},
		{[]string{"--channel-timeout=abc"}, "--channel-timeout"},
		{[]string{"--connection-limit=x"}, "--connection-limit"},
		{[]string{"--channel-request-lookahead=-1"}, "--channel-request-lookahead"},
		{[]string{"--unix-socket-perms=999"}, "--unix-socket-perms"},
		{[]string{"--trusted-proxy=127.0.0.1", "--trusted-proxy-headers=x-bogus"}, "--trusted-proxy-headers"},
		{[]string{"--trusted-proxy-count=0", "--trusted-proxy=127.0.0.1"}, "--trusted-proxy-count"},
		{[]string{"--listen=127.0.0.1:8080", "--host=127.0.0.1"}, "--listen"},
		{[]string{"--listen=127.0.0.1:99999"}, "--listen"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, append(tc.args, "ops_app:app")...)
		msg := strings.TrimRight(stderr, "\n")
		if code == 0 || strings.Contains(msg, "\n") || !strings.Contains(msg, tc.flag) || strings.Contains(msg, "Serving on") {
			t.Errorf("%v: exit %d, stderr %q; want one line naming %s and a non-zero exit", tc.args, code, stderr, tc.flag)
		}
	}
}
