package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestWSGIValidator drives an app wrapped in wsgiref.validate.validator, which asserts on
// every PEP 3333 rule the server has to keep (environ types and keys, wsgi.input calls, the
// start_response protocol, close()).
func TestWSGIValidator(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "validated_app:app"})
	tests := []struct {
		name, method, req, want string
	}{
		{"GET", "GET", get("/v?x=1"), "method:GET"},
		{"HEAD", "HEAD", "HEAD /v HTTP/1.1\r\nHost: h\r\n\r\n", ""},
		{"POST", "POST", "POST /v HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\nab\ncd\nef", "post:ab\ncd\nef"},
		{"POST chunked", "POST", "POST /v HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab\n\r\n4\r\ncdef\r\n0\r\n\r\n", "post:ab\ncdef"},
		{"POST empty", "POST", "POST /v HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", "post:"},
		{"HTTP/1.0", "GET", "GET /v HTTP/1.0\r\n\r\n", "method:GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, s)
			c.send(tt.req)
			r := c.mustRead(tt.method)
			if r.Code != 200 {
				t.Fatalf("validator rejected the server's side: %v", r)
			}
			if tt.method != "HEAD" && string(r.Body) != tt.want {
				t.Errorf("body %q, want %q", r.Body, tt.want)
			}
		})
	}
	time.Sleep(200 * time.Millisecond) // let any late complaint (e.g. from close()) reach stderr
	out := s.stderr.String()
	for _, bad := range []string{"Traceback", "AssertionError", "WSGIWarning", "Error"} {
		if strings.Contains(out, bad) {
			t.Errorf("stderr contains %q:\n%s", bad, out)
		}
	}
}
