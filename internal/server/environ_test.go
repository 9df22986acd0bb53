package server

import (
	"strings"
	"testing"

	"github.com/waitress-go/waitress-go/internal/wsgi"
)

func TestScriptPath(t *testing.T) {
	// Cases from task.get_environment's rules (and waitress's test_task.py).
	tests := []struct {
		path, prefix, want string
	}{
		{"/", "", "/"},
		{"//a//b", "", "/a//b"},
		{"", "", ""},
		{"/foo", "/foo", ""},
		{"/foo/", "/foo", "/"},
		{"/foo/bar", "/foo", "/bar"},
		{"///foo/bar", "/foo", "/bar"},
		{"/foobar", "/foo", "/foobar"},
		{"/other", "/foo", "/other"},
		{"/fo", "/foo", "/fo"},
		{"/a/b/c", "/a/b", "/c"},
	}
	for _, tt := range tests {
		if got := string(scriptPath([]byte(tt.path), tt.prefix)); got != tt.want {
			t.Errorf("scriptPath(%q, %q) = %q, want %q", tt.path, tt.prefix, got, tt.want)
		}
	}
}

func TestEnviron(t *testing.T) {
	environs := make(chan map[string]string, 1)
	capture := func(r *wsgi.Request) {
		m := map[string]string{}
		for _, v := range r.Environ {
			if _, dup := m[v.Key]; dup {
				t.Errorf("environ key %s twice", v.Key)
			}
			m[v.Key] = string(v.Value)
		}
		environs <- m
		respond(r, "200 OK", hdr("Content-Length", "0"))
	}
	tests := []struct {
		name   string
		prefix string
		req    string
		want   map[string]string
		absent []string
	}{
		{
			name: "basics",
			req:  "GET /a%20b/%2Fc?x=%20y HTTP/1.1\r\nHost: example.com:81\r\nX-Thing: 1\r\n\r\n",
			want: map[string]string{
				"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/a b//c",
				"QUERY_STRING": "x=%20y", "REQUEST_URI": "/a%20b/%2Fc?x=%20y",
				"SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "waitress.invalid",
				"SERVER_SOFTWARE": "waitress", "REMOTE_ADDR": "127.0.0.1", "REMOTE_HOST": "127.0.0.1",
				"wsgi.url_scheme": "http", "HTTP_HOST": "example.com:81", "HTTP_X_THING": "1",
			},
			absent: []string{"CONTENT_TYPE", "CONTENT_LENGTH"},
		},
		{
			name:   "url prefix",
			prefix: "/app",
			req:    "GET //app/x HTTP/1.1\r\nHost: h\r\n\r\n",
			want:   map[string]string{"SCRIPT_NAME": "/app", "PATH_INFO": "/x"},
		},
		{
			name:   "path outside the prefix",
			prefix: "/app",
			req:    "GET /application HTTP/1.1\r\nHost: h\r\n\r\n",
			want:   map[string]string{"SCRIPT_NAME": "/app", "PATH_INFO": "/application"},
		},
		{
			name:   "path equal to the prefix",
			prefix: "/app",
			req:    "GET /app?q HTTP/1.1\r\nHost: h\r\n\r\n",
			want:   map[string]string{"SCRIPT_NAME": "/app", "PATH_INFO": "", "QUERY_STRING": "q"},
		},
		{
			name: "headers joined, underscores dropped, content headers unprefixed",
			req: "POST / HTTP/1.1\r\nHost: h\r\nAccept: a\r\naccept: b\r\nX_Bad: 1\r\nX-Good: 2\r\n" +
				"Content-Type: text/plain\r\nContent-Length: 2\r\nCookie: a=1\r\nCOOKIE: b=2\r\n\r\nhi",
			want: map[string]string{
				"HTTP_ACCEPT": "a, b", "HTTP_X_GOOD": "2", "CONTENT_TYPE": "text/plain",
				"CONTENT_LENGTH": "2", "HTTP_COOKIE": "a=1, b=2",
			},
			absent: []string{"HTTP_X_BAD", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"},
		},
		{
			name:   "HTTP/1.0",
			req:    "GET / HTTP/1.0\r\n\r\n",
			want:   map[string]string{"SERVER_PROTOCOL": "HTTP/1.0", "PATH_INFO": "/"},
			absent: []string{"HTTP_HOST"},
		},
		{
			name:   "untrusted proxy headers are cleared by default",
			req:    "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\nForwarded: for=1.2.3.4\r\nX-Other: k\r\n\r\n",
			want:   map[string]string{"HTTP_X_OTHER": "k", "REMOTE_ADDR": "127.0.0.1"},
			absent: []string{"HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaultCfg()
			cfg.URLPrefix = tt.prefix
			ts := startServer(t, cfg, capture)
			c := dial(t, ts.addr)
			c.send(tt.req)
			got := <-environs
			c.response("GET")
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
				if _, ok := got[k]; !ok {
					t.Errorf("%s missing", k)
				}
			}
			for _, k := range tt.absent {
				if v, ok := got[k]; ok {
					t.Errorf("%s = %q, want absent", k, v)
				}
			}
			if got["REMOTE_PORT"] == "" || strings.Trim(got["REMOTE_PORT"], "0123456789") != "" {
				t.Errorf("REMOTE_PORT = %q", got["REMOTE_PORT"])
			}
			if !strings.HasSuffix(ts.addr, ":"+got["SERVER_PORT"]) {
				t.Errorf("SERVER_PORT = %q, listening on %s", got["SERVER_PORT"], ts.addr)
			}
		})
	}
}

func TestTrustedProxy(t *testing.T) {
	environs := make(chan map[string]string, 1)
	cfg := defaultCfg()
	cfg.TrustedProxy = "127.0.0.1"
	cfg.TrustedProxyHeaders = []string{"x-forwarded-for", "x-forwarded-proto"}
	cfg.LogUntrustedProxyHeaders = true
	ts := startServer(t, cfg, func(r *wsgi.Request) {
		m := map[string]string{}
		for _, v := range r.Environ {
			m[v.Key] = string(v.Value)
		}
		environs <- m
		respond(r, "200 OK", hdr("Content-Length", "0"))
	})
	c := dial(t, ts.addr)
	c.send("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil\r\n\r\n")
	got := <-environs
	c.response("GET")
	if got["REMOTE_ADDR"] != "10.0.0.1" || got["wsgi.url_scheme"] != "https" {
		t.Errorf("REMOTE_ADDR=%q url_scheme=%q", got["REMOTE_ADDR"], got["wsgi.url_scheme"])
	}
	if _, ok := got["HTTP_X_FORWARDED_HOST"]; ok {
		t.Error("untrusted X-Forwarded-Host kept")
	}
	ts.log.waitFor(t, func(e logEntry) bool {
		return e.msg == "Removed untrusted headers (X-Forwarded-Host). Waitress recommends these be removed upstream."
	})

	// A malformed trusted header is answered 400 by the middleware, through the WSGI path.
	c = dial(t, ts.addr)
	c.send("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: a b\r\n\r\n")
	resp, body := c.response("GET")
	if resp.StatusCode != 400 || !strings.Contains(body, "Header \"X-Forwarded-Proto\" malformed.") ||
		!strings.HasSuffix(body, "(generated by server)") {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
}
