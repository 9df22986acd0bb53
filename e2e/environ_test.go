package e2e

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
)

// environOf sends raw request bytes to environ_app and decodes the environ report.
func environOf(t *testing.T, s *server, req string) (map[string]any, *rawConn) {
	t.Helper()
	c := dialRaw(t, s)
	c.send(req)
	r := c.mustRead("GET")
	if r.Code != 200 {
		t.Fatalf("status %d, want 200:\n%v", r.Code, r)
	}
	var env map[string]any
	if err := json.Unmarshal(r.Body, &env); err != nil {
		t.Fatalf("environ report is not JSON: %v\n%s", err, r.Body)
	}
	return env, c
}

// latin1 returns the Python str that WSGI makes of raw bytes: one code point per byte.
func latin1(b string) string {
	rs := make([]rune, len(b))
	for i := 0; i < len(b); i++ {
		rs[i] = rune(b[i])
	}
	return string(rs)
}

func TestEnvironCGIKeys(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "environ_app:app"})

	tests := []struct {
		name string
		req  string
		want map[string]any // nil value: key must be absent
	}{
		{
			name: "plain GET",
			req:  "GET /plain HTTP/1.1\r\nHost: example.com\r\n\r\n",
			want: map[string]any{
				"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/plain", "QUERY_STRING": "",
				"REQUEST_URI": "/plain", "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "waitress.invalid",
				"SERVER_PORT": s.port, "HTTP_HOST": "example.com", "REMOTE_ADDR": "127.0.0.1",
				"REMOTE_HOST": "127.0.0.1", "SERVER_SOFTWARE": "waitress", "wsgi.url_scheme": "http",
				"CONTENT_TYPE": nil, "CONTENT_LENGTH": nil,
			},
		},
		{
			name: "percent-encoded UTF-8 path is unquoted and latin-1 decoded",
			req:  "GET /caf%C3%A9/a%2Fb/%20x+y?q=%C3%A9&r=1+2 HTTP/1.1\r\nHost: h\r\n\r\n",
			want: map[string]any{
				"PATH_INFO":    latin1("/caf\xc3\xa9/a/b/ x+y"),
				"QUERY_STRING": "q=%C3%A9&r=1+2",
				"REQUEST_URI":  "/caf%C3%A9/a%2Fb/%20x+y?q=%C3%A9&r=1+2",
			},
		},
		{
			name: "leading slashes collapse, dot segments stay",
			req:  "GET //a//b/../c HTTP/1.1\r\nHost: h\r\n\r\n",
			want: map[string]any{"PATH_INFO": "/a//b/../c", "REQUEST_URI": "//a//b/../c"},
		},
		{
			name: "absolute-form target",
			req:  "GET http://example.com/abs/path?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
			want: map[string]any{"PATH_INFO": "/abs/path", "QUERY_STRING": "q=1", "REQUEST_URI": "http://example.com/abs/path?q=1"},
		},
		{
			name: "method is kept, empty query",
			req:  "DELETE /x? HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
			want: map[string]any{"REQUEST_METHOD": "DELETE", "QUERY_STRING": "", "CONTENT_LENGTH": "0"},
		},
		{
			name: "content headers and repeated headers",
			req: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Type: text/x; charset=latin-1\r\nContent-Length: 3\r\n" +
				"X-Dup: a\r\nx-dup: b\r\nX-Dup: c\r\nX-Under_Score: u\r\nAccept: */*\r\n\r\nabc",
			want: map[string]any{
				"REQUEST_METHOD": "POST", "CONTENT_TYPE": "text/x; charset=latin-1", "CONTENT_LENGTH": "3",
				"HTTP_X_DUP": "a, b, c", "HTTP_ACCEPT": "*/*", "HTTP_CONTENT_TYPE": nil, "HTTP_CONTENT_LENGTH": nil,
			},
		},
		{
			name: "HTTP/1.0",
			req:  "GET /old HTTP/1.0\r\n\r\n",
			want: map[string]any{"SERVER_PROTOCOL": "HTTP/1.0", "HTTP_HOST": nil, "PATH_INFO": "/old"},
		},
		{
			name: "latin-1 header value bytes",
			req:  "GET / HTTP/1.1\r\nHost: h\r\nX-Latin: caf\xe9\r\n\r\n",
			want: map[string]any{"HTTP_X_LATIN": latin1("caf\xe9")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, c := environOf(t, s, tt.req)
			for key, want := range tt.want {
				got, ok := env[key]
				if want == nil {
					if ok {
						t.Errorf("%s = %#v, want absent", key, got)
					}
					continue
				}
				if !ok || got != want {
					t.Errorf("%s = %#v, want %#v", key, got, want)
				}
			}
			_, localPort, _ := net.SplitHostPort(c.c.LocalAddr().String())
			if env["REMOTE_PORT"] != localPort {
				t.Errorf("REMOTE_PORT = %#v, want the client's port %s", env["REMOTE_PORT"], localPort)
			}
			if _, ok := env["HTTP_X_UNDER_SCORE"]; ok && strings.Contains(tt.req, "Under_Score") {
				// Waitress drops header names with underscores (they could spoof dashes).
				t.Errorf("header with underscore reached the app as HTTP_X_UNDER_SCORE")
			}
		})
	}
}

func TestEnvironWSGIKeys(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "environ_app:app"})
	env, _ := environOf(t, s, get("/"))

	want := map[string]any{
		"wsgi.version":          map[string]any{"type": "tuple", "items": []any{1.0, 0.0}},
		"wsgi.url_scheme":       "http",
		"wsgi.multithread":      true,
		"wsgi.multiprocess":     false,
		"wsgi.run_once":         false,
		"wsgi.input_terminated": true,
		"_errors_api":           true,
		"_input_api":            true,
		"_client_disconnected":  false,
	}
	for key, w := range want {
		if got := env[key]; !jsonEqual(got, w) {
			t.Errorf("%s = %#v, want %#v", key, got, w)
		}
	}
	for _, key := range []string{"wsgi.file_wrapper", "waitress.client_disconnected"} {
		d, _ := env[key].(map[string]any)
		if d == nil || d["callable"] != true {
			t.Errorf("%s = %#v, want a callable", key, env[key])
		}
	}
	for _, key := range []string{"wsgi.input", "wsgi.errors"} {
		if _, ok := env[key].(map[string]any); !ok {
			t.Errorf("%s missing: %#v", key, env[key])
		}
	}
	if !waitFor(rawTimeout, func() bool { return strings.Contains(s.stderr.String(), "environ_app: wsgi.errors works") }) {
		t.Errorf("text written to wsgi.errors did not reach the server's stderr")
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestEnvironInput(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverConfig{app: "environ_app:app"})
	body := "line one\nline two\n\nlast\xff without newline"
	lines := []any{"line one\n", "line two\n", "\n", latin1("last\xff without newline")}
	tests := []struct {
		mode string
		want []any
	}{
		{"read", []any{latin1(body)}},
		{"readline", lines},
		{"readlines", lines},
		{"iter", lines},
		{"read-size", func() []any {
			var parts []any
			for i := 0; i < len(body); i += 3 {
				parts = append(parts, latin1(body[i:min(i+3, len(body))]))
			}
			return parts
		}()},
	}
	for _, tt := range tests {
		for _, chunked := range []bool{false, true} {
			name := tt.mode
			var req string
			if chunked {
				name += "/chunked"
				req = "POST /?input=" + tt.mode + " HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
					chunk(body[:5]) + chunk(body[5:20]) + chunk(body[20:]) + "0\r\n\r\n"
			} else {
				req = "POST /?input=" + tt.mode + " HTTP/1.1\r\nHost: h\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + body
			}
			t.Run(name, func(t *testing.T) {
				env, _ := environOf(t, s, req)
				if !jsonEqual(env["_input"], tt.want) {
					t.Errorf("wsgi.input %s gave %#v, want %#v", tt.mode, env["_input"], tt.want)
				}
				if env["_input_after_eof"] != "" {
					t.Errorf("read() after EOF gave %#v, want empty", env["_input_after_eof"])
				}
				if env["CONTENT_LENGTH"] != itoa(len(body)) {
					t.Errorf("CONTENT_LENGTH = %#v, want %d", env["CONTENT_LENGTH"], len(body))
				}
			})
		}
	}
}

// TestEnvironMatchesWaitress sends the same requests to our server and to the reference
// Waitress and compares the environ each app saw, key by key.
func TestEnvironMatchesWaitress(t *testing.T) {
	oursOnly(t, "compares ours with Waitress")
	t.Parallel()
	ours := startServer(t, serverConfig{app: "environ_app:app"})
	ref := startServer(t, serverConfig{app: "environ_app:app", kind: serverWaitress})
	// Values that differ by nature between two processes.
	ignore := map[string]bool{"REMOTE_PORT": true, "SERVER_PORT": true, "HTTP_HOST": true}
	typeOnly := map[string]bool{"wsgi.input": true, "wsgi.errors": true, "wsgi.file_wrapper": true, "waitress.client_disconnected": true}

	reqs := []string{
		get("/"),
		get("/a%C3%A9%2Fb//x/../y?z=%C3%A9&q", "X-Dup: 1", "x-dup: 2", "Accept: text/html"),
		get("//lead/slashes"),
		"GET http://example.com/abs?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
		"GET /old HTTP/1.0\r\nUser-Agent: e2e\r\n\r\n",
		"POST /p?input=readlines HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1\nb=2",
		"PUT /c?input=iter HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\n\ncd\r\n0\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		get("/h", "X-Forwarded-For: 10.0.0.1", "X-Forwarded-Proto: https", "Forwarded: for=10.0.0.1"),
		get("/ws", "X-Spaces:   padded value   ", "X-Empty:"),
	}
	for _, req := range reqs {
		name, _, _ := strings.Cut(req, "\r\n")
		t.Run(name, func(t *testing.T) {
			want, _ := environOf(t, ref, req)
			got, _ := environOf(t, ours, req)
			for key, w := range want {
				if ignore[key] {
					continue
				}
				g, ok := got[key]
				if !ok {
					t.Errorf("%s missing (Waitress: %#v)", key, w)
					continue
				}
				if typeOnly[key] {
					gm, _ := g.(map[string]any)
					wm, _ := w.(map[string]any)
					if gm == nil || gm["callable"] != wm["callable"] {
						t.Errorf("%s = %#v, Waitress: %#v", key, g, w)
					}
					continue
				}
				if !jsonEqual(g, w) {
					t.Errorf("%s = %#v, Waitress: %#v", key, g, w)
				}
			}
			for key, g := range got {
				if _, ok := want[key]; !ok && !ignore[key] {
					t.Errorf("%s = %#v is not in Waitress's environ", key, g)
				}
			}
		})
	}
}
