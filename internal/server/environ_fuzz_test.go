package server

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/waitress-go/waitress-go/internal/http1"
	"github.com/waitress-go/waitress-go/internal/wsgi"
)

type nopDispatcher struct{}

func (nopDispatcher) Submit(*wsgi.Request) {}

// fuzzPrefixes are the url_prefix settings the fuzzer picks from.
var fuzzPrefixes = []string{"", "/app", "/a/b", "/%41"}

// cgiKeys are the non-HTTP_ keys an environ may hold.
var cgiKeys = map[string]bool{
	"REQUEST_METHOD": true, "SCRIPT_NAME": true, "PATH_INFO": true, "QUERY_STRING": true,
	"REQUEST_URI": true, "SERVER_PROTOCOL": true, "SERVER_NAME": true, "SERVER_PORT": true,
	"SERVER_SOFTWARE": true, "REMOTE_ADDR": true, "REMOTE_HOST": true, "REMOTE_PORT": true,
	"wsgi.url_scheme": true, "CONTENT_TYPE": true, "CONTENT_LENGTH": true,
}

var proxyKeys = map[string]bool{
	"HTTP_X_FORWARDED_FOR": true, "HTTP_X_FORWARDED_HOST": true, "HTTP_X_FORWARDED_PROTO": true,
	"HTTP_X_FORWARDED_PORT": true, "HTTP_X_FORWARDED_BY": true, "HTTP_FORWARDED": true,
}

// FuzzRequestEnviron turns arbitrary request heads that the parser accepts into environs and
// checks what applications rely on: every key once and well-formed; the request line's parts
// passed through unchanged; header fields mapped to keys as Waitress maps them (underscored
// names dropped, repeats joined with ", ", Transfer-Encoding hidden, Content-Length of a
// chunked body set to its decoded length); an untrusted client unable to change REMOTE_ADDR,
// the scheme or the server name; PATH_INFO decoded and split from url_prefix as Waitress does; and a
// connection reusing its buffers for the next request producing the same environ.
func FuzzRequestEnviron(f *testing.F) {
	seeds := []string{
		"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
		"GET /app/x%2Fy?q=1&r=%20 HTTP/1.1\r\nHost: h:81\r\nUser-Agent: ua\r\n\r\n",
		"GET //a//b HTTP/1.0\r\n\r\n",
		"GET /app HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /app/ HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /apple HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a/b/c HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n",
		"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX-Dup: a\r\nx-dup: b\r\nX-DUP: c\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX_Under: 1\r\nX-Under: 2\r\nContent_Length: 9\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nForwarded: for=1.2.3.4\r\nX-Forwarded-Host: evil\r\n\r\n",
		"GET http://example.com:8080/p?q HTTP/1.1\r\nHost: other\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /caf%C3%A9/%zz%2 HTTP/1.1\r\nHost: h\r\nX-Latin: caf\xe9\r\n\r\n",
		"GET /p#frag HTTP/1.1\r\nHost: h\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n",
		"GET /%41/x HTTP/1.1\r\nHost: h\r\n\r\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i), i%2 == 0, int64(i*7))
	}
	f.Fuzz(func(t *testing.T, head []byte, prefixSel uint8, clear bool, bodyLen int64) {
		lim := http1.Limits{MaxHeaderBytes: DefaultMaxRequestHeaderSize, MaxBodyBytes: DefaultMaxRequestBodySize, AllowMissingHost: true}
		var r http1.Request
		n, err := http1.ParseHead(head, lim, &r)
		if err != nil || n == 0 {
			return
		}
		if bodyLen < 0 {
			bodyLen = -(bodyLen + 1)
		}
		cfg := DefaultConfig()
		cfg.Addrs = nil
		cfg.URLPrefix = fuzzPrefixes[int(prefixSel)%len(fuzzPrefixes)]
		cfg.ClearUntrustedProxyHeaders = clear
		s, err := New(cfg, nopDispatcher{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		c := &conn{srv: s, ln: &listener{port: []byte("8080")}, serverPort: []byte("8080"),
			remoteAddr: []byte("192.0.2.7"), remotePort: []byte("4711")}

		if bad := c.buildEnviron(&r, bodyLen); bad != nil {
			t.Fatalf("no trusted proxy, yet the proxy handling refused the request: %v", bad)
		}
		first := snapshotEnv(t, c.env)
		checkEnviron(t, &r, cfg, first, bodyLen, clear)

		// The connection's next request reuses c.env, pathBuf and clBuf; then the same
		// request again must give the same environ.
		var other http1.Request
		if _, err := http1.ParseHead([]byte("POST //other/path%20x?z HTTP/1.1\r\nHost: o\r\nTransfer-Encoding: chunked\r\nX-Other: 1\r\n\r\n"), lim, &other); err != nil {
			t.Fatal(err)
		}
		c.buildEnviron(&other, 123456789)
		c.buildEnviron(&r, bodyLen)
		again := snapshotEnv(t, c.env)
		if len(again) != len(first) {
			t.Fatalf("environ changed after buffer reuse: %d keys, then %d", len(first), len(again))
		}
		for k, v := range first {
			if again[k] != v {
				t.Fatalf("environ[%s] = %q, then %q after buffer reuse", k, v, again[k])
			}
		}
	})
}

// snapshotEnv copies an environ into a map, failing on a key given twice.
func snapshotEnv(t *testing.T, env []wsgi.EnvVar) map[string]string {
	t.Helper()
	m := make(map[string]string, len(env))
	for _, v := range env {
		if _, dup := m[v.Key]; dup {
			t.Fatalf("environ key %q given twice", v.Key)
		}
		m[v.Key] = string(v.Value)
	}
	return m
}

func checkEnviron(t *testing.T, r *http1.Request, cfg Config, env map[string]string, bodyLen int64, clear bool) {
	t.Helper()
	for _, k := range []string{"REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI",
		"SERVER_PROTOCOL", "SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR", "REMOTE_PORT", "wsgi.url_scheme"} {
		if _, ok := env[k]; !ok {
			t.Fatalf("environ lacks %s: %q", k, env)
		}
	}
	want := map[string]string{
		"REQUEST_METHOD": string(r.Method), "QUERY_STRING": string(r.Query), "REQUEST_URI": string(r.Target),
		"SCRIPT_NAME": cfg.URLPrefix, "SERVER_NAME": cfg.ServerName, "SERVER_PORT": "8080",
		"REMOTE_ADDR": "192.0.2.7", "REMOTE_PORT": "4711", "wsgi.url_scheme": "http",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("environ[%s] = %q, want %q", k, env[k], v)
		}
	}
	if p := env["SERVER_PROTOCOL"]; p != "HTTP/1.0" && p != "HTTP/1.1" {
		t.Errorf("SERVER_PROTOCOL %q", p)
	}

	// Header fields, by a plain model of Waitress's parse_header and get_environment.
	http11 := r.Major == 1 && r.Minor == 1
	model := map[string]string{}
	var order []string
	for _, h := range r.Headers {
		if bytes.IndexByte(h.Name, '_') >= 0 {
			continue
		}
		k := "HTTP_" + strings.ReplaceAll(strings.ToUpper(string(h.Name)), "-", "_")
		if k == "HTTP_CONTENT_TYPE" || k == "HTTP_CONTENT_LENGTH" {
			k = k[len("HTTP_"):]
		}
		if k == "HTTP_TRANSFER_ENCODING" && (http11 || r.Chunked) {
			continue
		}
		if k == "CONTENT_LENGTH" && r.Chunked {
			continue
		}
		if clear && proxyKeys[k] {
			continue
		}
		if old, ok := model[k]; ok {
			model[k] = old + ", " + string(h.Value)
		} else {
			model[k] = string(h.Value)
			order = append(order, k)
		}
	}
	if r.Chunked {
		model["CONTENT_LENGTH"] = strconv.FormatInt(bodyLen, 10)
	}
	for k, v := range model {
		if got, ok := env[k]; !ok || got != v {
			t.Errorf("environ[%s] = %q (present %v), want %q", k, got, ok, v)
		}
	}
	for k := range env {
		if cgiKeys[k] {
			continue
		}
		if !strings.HasPrefix(k, "HTTP_") {
			t.Errorf("unexpected environ key %q", k)
			continue
		}
		if strings.ContainsAny(k, "-abcdefghijklmnopqrstuvwxyz") {
			t.Errorf("environ key %q is not upper-case with underscores", k)
		}
		if _, ok := model[k]; !ok {
			t.Errorf("environ[%s] = %q comes from no header field", k, env[k])
		}
	}

	// PATH_INFO: the decoded path with leading slashes collapsed to one, then url_prefix split
	// off when the path is the prefix or continues it with a slash (task.get_environment).
	decoded, err := http1.DecodePath(r.Path, nil)
	if err != nil {
		decoded = append([]byte(nil), r.Path...)
	}
	path := string(decoded)
	if strings.HasPrefix(path, "/") {
		path = "/" + strings.TrimLeft(path, "/")
	}
	if p := cfg.URLPrefix; p != "" {
		if path == p {
			path = ""
		} else if strings.HasPrefix(path, p+"/") {
			path = path[len(p):]
		}
	}
	if env["PATH_INFO"] != path {
		t.Errorf("PATH_INFO = %q, want %q (raw path %q, url_prefix %q)", env["PATH_INFO"], path, r.Path, cfg.URLPrefix)
	}
}
