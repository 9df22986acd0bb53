package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTrustedProxyOptions: each --trusted-proxy* setting, with the headers a proxy sends,
// gives the environ Waitress gives; untrusted proxy headers are removed (and logged when
// asked).
func TestTrustedProxyOptions(t *testing.T) {
	t.Parallel()
	xfAll := "--trusted-proxy-headers=x-forwarded-for x-forwarded-host x-forwarded-proto x-forwarded-port"
	xf := map[string]string{
		"X-Forwarded-For":   "203.0.113.5",
		"X-Forwarded-Host":  "shop.example",
		"X-Forwarded-Proto": "https",
		"X-Forwarded-Port":  "8443",
	}
	xfWant := map[string]any{
		"REMOTE_ADDR": "203.0.113.5", "HTTP_HOST": "shop.example:8443", "SERVER_NAME": "shop.example",
		"SERVER_PORT": "8443", "wsgi.url_scheme": "https", "HTTP_X_FORWARDED_PROTO": "https",
	}
	tests := []struct {
		name string
		args []string
		hdr  map[string]string
		want map[string]any // nil value: key absent
		log  string         // a log line that must appear
	}{
		{"x-forwarded-* from 127.0.0.1", []string{"--trusted-proxy=127.0.0.1", xfAll}, xf, xfWant, ""},
		{"x-forwarded-* from *", []string{"--trusted-proxy=*", xfAll}, xf, xfWant, ""},
		{"forwarded", []string{"--trusted-proxy=127.0.0.1", "--trusted-proxy-headers=forwarded"},
			map[string]string{"Forwarded": `for="198.51.100.7:4711";proto=https;host=fwd.example`, "X-Forwarded-For": "6.6.6.6"},
			map[string]any{"REMOTE_ADDR": "198.51.100.7", "REMOTE_PORT": "4711", "wsgi.url_scheme": "https",
				"HTTP_HOST": "fwd.example", "SERVER_NAME": "fwd.example", "SERVER_PORT": "443",
				"HTTP_X_FORWARDED_FOR": nil}, ""},
		{"trusted-proxy-count 2", []string{"--trusted-proxy=127.0.0.1", "--trusted-proxy-count=2", "--trusted-proxy-headers=x-forwarded-for"},
			map[string]string{"X-Forwarded-For": "192.0.2.1, 192.0.2.99, 198.51.100.2"},
			map[string]any{"REMOTE_ADDR": "192.0.2.99", "HTTP_X_FORWARDED_FOR": "192.0.2.99, 198.51.100.2"}, ""},
		{"trusted-proxy-count 1", []string{"--trusted-proxy=127.0.0.1", "--trusted-proxy-headers=x-forwarded-for"},
			map[string]string{"X-Forwarded-For": "192.0.2.1, 192.0.2.99, 198.51.100.2"},
			map[string]any{"REMOTE_ADDR": "198.51.100.2"}, ""},
		{"untrusted peer: cleared and logged", []string{"--trusted-proxy=10.9.9.9", xfAll, "--log-untrusted-proxy-headers"},
			map[string]string{"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https", "Forwarded": "for=6.6.6.6"},
			map[string]any{"REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "HTTP_X_FORWARDED_FOR": nil,
				"HTTP_X_FORWARDED_PROTO": nil, "HTTP_FORWARDED": nil},
			"Removed untrusted headers (X-Forwarded-For, X-Forwarded-Proto, Forwarded). Waitress recommends these be removed upstream."},
		{"untrusted header kept with --no-clear-untrusted-proxy-headers", []string{"--trusted-proxy=127.0.0.1",
			"--trusted-proxy-headers=x-forwarded-proto", "--no-clear-untrusted-proxy-headers"},
			map[string]string{"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"},
			map[string]any{"REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "https", "HTTP_X_FORWARDED_FOR": "6.6.6.6"}, ""},
		{"no trusted proxy: proxy headers cleared by default", nil,
			map[string]string{"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"},
			map[string]any{"REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "HTTP_X_FORWARDED_FOR": nil}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, serverConfig{app: "ops_app:app", args: tc.args})
			code, env := envOver(t, s.addr, "/env", tc.hdr)
			if code != 200 {
				t.Fatalf("status %d", code)
			}
			for k, w := range tc.want {
				if env[k] != w {
					t.Errorf("%s = %#v, want %#v", k, env[k], w)
				}
			}
			if tc.log != "" {
				s.waitLog(t, regexp.MustCompile(regexp.QuoteMeta(tc.log)), 1, 5*time.Second)
			}
		})
	}
}

// TestTrustedProxyMalformed: a malformed trusted header gets Waitress's 400 and a warning.
func TestTrustedProxyMalformed(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "ops_app:app", args: []string{"--trusted-proxy=127.0.0.1",
		"--trusted-proxy-headers=x-forwarded-for x-forwarded-proto"}})
	resp, body := fetch(t, s.addr, "GET", "/env", map[string]string{"X-Forwarded-Proto": "gopher", "X-Forwarded-For": "192.0.2.1"}, nil)
	if resp.StatusCode != 400 || !strings.Contains(string(body), `Header "X-Forwarded-Proto" malformed.`) {
		t.Fatalf("got %d %q, want 400 naming the header", resp.StatusCode, body)
	}
	s.waitLog(t, regexp.MustCompile(`Malformed proxy header "X-Forwarded-Proto" from "127\.0\.0\.1"`), 1, 5*time.Second)
}
