package proxy

import (
	"reflect"
	"strings"
	"testing"
)

func hdrs(kv ...string) []Header {
	var hs []Header
	for i := 0; i+1 < len(kv); i += 2 {
		hs = append(hs, Header{Name: []byte(kv[i]), Value: []byte(kv[i+1])})
	}
	return hs
}

func trust(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// baseEnv is what the server builds for a request from 10.0.0.1:5000 to a
// listener on port 8080 with Host: app.local.
func baseEnv() Env {
	return Env{RemoteAddr: "10.0.0.1", RemoteHost: "10.0.0.1", RemotePort: "5000",
		Host: "app.local", ServerName: "app.local", ServerPort: "8080", URLScheme: "http"}
}

// envWith returns baseEnv with fields changed by f.
func envWith(f func(e *Env)) Env {
	e := baseEnv()
	f(&e)
	return e
}

func cfg(proxy string, count int, headers ...string) Config {
	return Config{TrustedProxy: proxy, TrustedProxyCount: count, TrustedProxyHeaders: trust(headers...), ClearUntrusted: true}
}

var allXF = []string{"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-by"}

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		unix    bool
		env     Env // defaults to baseEnv()
		headers []Header

		want        Env // defaults to the input env
		wantRemove  []string
		wantReplace map[string]string
		wantWarn    []string
		wantErr     *MalformedError
	}{
		// Untrusted peers: nothing changes, every proxy header is removed.
		{
			name:       "no trusted proxy clears all proxy headers by default",
			cfg:        Config{ClearUntrusted: true},
			headers:    hdrs("X-Forwarded-For", "1.2.3.4", "Forwarded", "for=1.2.3.4", "X-Forwarded-Proto", "https", "Accept", "*/*"),
			wantRemove: []string{"x-forwarded-for", "x-forwarded-proto", "forwarded"},
		},
		{
			name:    "nothing is done when there is no trusted proxy and clearing is off",
			cfg:     Config{},
			headers: hdrs("X-Forwarded-For", "1.2.3.4"),
		},
		{
			name:       "spoofed X-Forwarded-For from an untrusted peer does not change REMOTE_ADDR",
			cfg:        cfg("10.9.9.9", 1, allXF...),
			headers:    hdrs("X-Forwarded-For", "6.6.6.6", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https"),
			wantRemove: []string{"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"},
		},
		{
			name:       "untrusted peer with clearing off keeps headers and env",
			cfg:        Config{TrustedProxy: "10.9.9.9", TrustedProxyHeaders: trust("x-forwarded-for")},
			headers:    hdrs("X-Forwarded-For", "6.6.6.6"),
			wantRemove: nil,
		},
		{
			name:       "untrusted headers are logged when asked",
			cfg:        Config{TrustedProxy: "10.9.9.9", ClearUntrusted: true, LogUntrusted: true},
			headers:    hdrs("forwarded", "for=1.1.1.1", "x-forwarded-by", "p", "X-FORWARDED-FOR", "1.1.1.1"),
			wantRemove: []string{"x-forwarded-for", "x-forwarded-by", "forwarded"},
			wantWarn:   []string{"Removed untrusted headers (X-Forwarded-For, X-Forwarded-By, Forwarded). Waitress recommends these be removed upstream."},
		},
		{
			name:    "nothing to log when no proxy header is present",
			cfg:     Config{TrustedProxy: "10.9.9.9", ClearUntrusted: true, LogUntrusted: true},
			headers: hdrs("Accept", "x"),
		},
		{
			name:       "header names with underscores are not proxy headers",
			cfg:        cfg("10.0.0.1", 1, "x-forwarded-for"),
			headers:    hdrs("X_Forwarded_For", "6.6.6.6"),
			wantRemove: nil,
		},
		{
			name:    "peer match is exact: trusted 127.0.0.1 does not match ::ffff:127.0.0.1",
			cfg:     cfg("127.0.0.1", 1, "x-forwarded-for"),
			env:     envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "::ffff:127.0.0.1", "::ffff:127.0.0.1" }),
			headers: hdrs("X-Forwarded-For", "1.2.3.4"), wantRemove: []string{"x-forwarded-for"},
		},

		// X-Forwarded-For.
		{
			name:        "trusted X-Forwarded-For sets REMOTE_ADDR and REMOTE_HOST, keeps REMOTE_PORT",
			cfg:         cfg("10.0.0.1", 1, "x-forwarded-for"),
			headers:     hdrs("X-Forwarded-For", "192.0.2.1"),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "192.0.2.1", "192.0.2.1" }),
			wantReplace: map[string]string{"x-forwarded-for": "192.0.2.1"},
		},
		{
			name:        "count 1 takes the last hop",
			cfg:         cfg("10.0.0.1", 1, "x-forwarded-for"),
			headers:     hdrs("X-Forwarded-For", "6.6.6.6, 192.0.2.1, 198.51.100.7"),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "198.51.100.7", "198.51.100.7" }),
			wantReplace: map[string]string{"x-forwarded-for": "198.51.100.7"},
		},
		{
			name:        "count 2 takes the second-to-last hop and keeps two",
			cfg:         cfg("10.0.0.1", 2, "x-forwarded-for"),
			headers:     hdrs("X-Forwarded-For", "6.6.6.6, 192.0.2.1, 198.51.100.7"),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "192.0.2.1", "192.0.2.1" }),
			wantReplace: map[string]string{"x-forwarded-for": "192.0.2.1, 198.51.100.7"},
		},
		{
			name:        "count larger than the chain takes the first hop",
			cfg:         cfg("10.0.0.1", 5, "x-forwarded-for"),
			headers:     hdrs("X-Forwarded-For", "192.0.2.1,198.51.100.7"),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "192.0.2.1", "192.0.2.1" }),
			wantReplace: map[string]string{"x-forwarded-for": "192.0.2.1,198.51.100.7"},
		},
		{
			name:        "repeated X-Forwarded-For fields are joined in order",
			cfg:         cfg("10.0.0.1", 2, "x-forwarded-for"),
			headers:     hdrs("X-Forwarded-For", "6.6.6.6", "x-forwarded-for", "192.0.2.1", "X-Forwarded-For", "198.51.100.7"),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "192.0.2.1", "192.0.2.1" }),
			wantReplace: map[string]string{"x-forwarded-for": "192.0.2.1, 198.51.100.7"},
		},
		{
			name:        "IPv4 with port sets REMOTE_PORT",
			cfg:         cfg("10.0.0.1", 1, "x-forwarded-for"),
			headers:     hdrs("X-Forwarded-For", "192.0.2.1:4711"),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost, e.RemotePort = "192.0.2.1", "192.0.2.1", "4711" }),
			wantReplace: map[string]string{"x-forwarded-for": "192.0.2.1:4711"},
		},
		{
			name:        "bare IPv6 is not split on its last group",
			cfg:         cfg("10.0.0.1", 1, "x-forwarded-for"),
			headers:     hdrs("X-Forwarded-For", "2001:db8::1"),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "2001:db8::1", "2001:db8::1" }),
			wantReplace: map[string]string{"x-forwarded-for": "2001:db8::1"},
		},
		{
			// Waitress brackets any dotless hop with a colon, so a bracketed
			// address with a port stays whole in REMOTE_ADDR.
			name:    "bracketed IPv6 with port in X-Forwarded-For is kept whole, as in Waitress",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-for"),
			headers: hdrs("X-Forwarded-For", `"[2001:db8::1]:4711"`),
			want: envWith(func(e *Env) {
				e.RemoteAddr, e.RemoteHost = "[2001:db8::1]:4711", "[2001:db8::1]:4711"
			}),
			wantReplace: map[string]string{"x-forwarded-for": `"[2001:db8::1]:4711"`},
		},
		{
			name:    "X-Forwarded-For with bad quoting is malformed",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-for"),
			headers: hdrs("X-Forwarded-For", `"192.0.2.1`),
			wantErr: &MalformedError{Header: "X-Forwarded-For", Reason: "Invalid quoting in value", Value: `"192.0.2.1`},
		},
		{
			name:    "X-Forwarded-For whose address is empty after the port is malformed",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-for"),
			headers: hdrs("X-Forwarded-For", ":."),
			wantErr: &MalformedError{Header: "X-Forwarded-For", Reason: "empty client address", Value: ":."},
		},
		{
			name:        "trusted X-Forwarded-For with other proxy headers untrusted: those are removed",
			cfg:         cfg("10.0.0.1", 1, "x-forwarded-for"),
			headers:     hdrs("X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil"),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "192.0.2.1", "192.0.2.1" }),
			wantRemove:  []string{"x-forwarded-host", "x-forwarded-proto"},
			wantReplace: map[string]string{"x-forwarded-for": "192.0.2.1"},
		},
		{
			name:        "star trusts any peer",
			cfg:         cfg("*", 1, "x-forwarded-for"),
			env:         envWith(func(e *Env) { e.RemoteAddr = "203.0.113.9" }),
			headers:     hdrs("X-Forwarded-For", "192.0.2.1"),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "192.0.2.1", "192.0.2.1" }),
			wantReplace: map[string]string{"x-forwarded-for": "192.0.2.1"},
		},
		{
			name:        "unix socket peer is localhost",
			cfg:         cfg("localhost", 1, "x-forwarded-for"),
			unix:        true,
			env:         Env{RemoteAddr: "localhost", RemoteHost: "localhost", RemotePort: "None", ServerName: "waitress.invalid", ServerPort: "unix", URLScheme: "http"},
			headers:     hdrs("X-Forwarded-For", "192.0.2.1"),
			want:        Env{RemoteAddr: "192.0.2.1", RemoteHost: "192.0.2.1", RemotePort: "None", ServerName: "waitress.invalid", ServerPort: "unix", URLScheme: "http"},
			wantReplace: map[string]string{"x-forwarded-for": "192.0.2.1"},
		},
		{
			name:       "unix socket peer is not trusted by an IP",
			cfg:        cfg("127.0.0.1", 1, "x-forwarded-for"),
			unix:       true,
			env:        Env{RemoteAddr: "localhost", RemoteHost: "localhost", RemotePort: "None", URLScheme: "http"},
			headers:    hdrs("X-Forwarded-For", "192.0.2.1"),
			wantRemove: []string{"x-forwarded-for"},
		},

		// X-Forwarded-Proto, -Host, -Port.
		{
			name:    "https proto sets scheme and port 443",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-proto"),
			headers: hdrs("X-Forwarded-Proto", "https"),
			want:    envWith(func(e *Env) { e.URLScheme, e.ServerPort = "https", "443" }),
		},
		{
			name:    "proto is lowercased, http gives port 80",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-proto"),
			headers: hdrs("X-Forwarded-Proto", "HTTP"),
			want:    envWith(func(e *Env) { e.ServerPort = "80" }),
		},
		{
			name:    "unsupported proto is malformed",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-proto"),
			headers: hdrs("X-Forwarded-Proto", "FTP"),
			wantErr: &MalformedError{Header: "X-Forwarded-Proto", Reason: "unsupported proto value", Value: "ftp"},
		},
		{
			name:    "several protos are malformed",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-proto"),
			headers: hdrs("X-Forwarded-Proto", "https, http"),
			wantErr: &MalformedError{Header: "X-Forwarded-Proto", Reason: "Unspecified behavior for multiple values found in header", Value: "https, http"},
		},
		{
			name:    "repeated proto fields count as several values",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-proto"),
			headers: hdrs("X-Forwarded-Proto", "https", "X-Forwarded-Proto", "https"),
			wantErr: &MalformedError{Header: "X-Forwarded-Proto", Reason: "Unspecified behavior for multiple values found in header", Value: "https, https"},
		},
		{
			name:    "several ports are malformed",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-port"),
			headers: hdrs("X-Forwarded-Port", "80,443"),
			wantErr: &MalformedError{Header: "X-Forwarded-Port", Reason: "Unspecified behavior for multiple values found in header", Value: "80,443"},
		},
		{
			name:    "badly quoted port is malformed",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-port"),
			headers: hdrs("X-Forwarded-Port", `8443"`),
			wantErr: &MalformedError{Header: "X-Forwarded-Port", Reason: "Invalid quoting in value", Value: `8443"`},
		},
		{
			// Waitress does not check that a forwarded port is numeric.
			name:    "non-numeric port is passed through as Waitress does",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-port"),
			headers: hdrs("X-Forwarded-Port", "abc"),
			want:    envWith(func(e *Env) { e.ServerPort = "abc" }),
		},
		{
			name:    "host, proto https and port 443: no port in Host",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port"),
			headers: hdrs("X-Forwarded-Host", "example.com", "X-Forwarded-Proto", "https", "X-Forwarded-Port", "443"),
			want: envWith(func(e *Env) {
				e.Host, e.ServerName, e.ServerPort, e.URLScheme = "example.com", "example.com", "443", "https"
			}),
			wantReplace: map[string]string{"x-forwarded-host": "example.com"},
		},
		{
			name:    "host, proto http and port 443: port kept in Host",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port"),
			headers: hdrs("X-Forwarded-Host", "example.com", "X-Forwarded-Proto", "http", "X-Forwarded-Port", "443"),
			want: envWith(func(e *Env) {
				e.Host, e.ServerName, e.ServerPort = "example.com:443", "example.com", "443"
			}),
			wantReplace: map[string]string{"x-forwarded-host": "example.com"},
		},
		{
			name:    "host and port 80 with the default http scheme",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-host", "x-forwarded-port"),
			headers: hdrs("X-Forwarded-Host", "example.com", "X-Forwarded-Port", "80"),
			want: envWith(func(e *Env) {
				e.Host, e.ServerName, e.ServerPort = "example.com", "example.com", "80"
			}),
			wantReplace: map[string]string{"x-forwarded-host": "example.com"},
		},
		{
			name:    "host and unusual port",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-host", "x-forwarded-port"),
			headers: hdrs("X-Forwarded-Host", "example.com", "X-Forwarded-Port", "8443"),
			want: envWith(func(e *Env) {
				e.Host, e.ServerName, e.ServerPort = "example.com:8443", "example.com", "8443"
			}),
			wantReplace: map[string]string{"x-forwarded-host": "example.com"},
		},
		{
			name:    "port in the forwarded host beats X-Forwarded-Port",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto"),
			headers: hdrs("X-Forwarded-Host", "example.com:8000", "X-Forwarded-Port", "9000", "X-Forwarded-Proto", "https"),
			want: envWith(func(e *Env) {
				e.Host, e.ServerName, e.ServerPort, e.URLScheme = "example.com:8000", "example.com", "8000", "https"
			}),
			wantReplace: map[string]string{"x-forwarded-host": "example.com:8000"},
		},
		{
			name:    "host only: no port change",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-host"),
			headers: hdrs("X-Forwarded-Host", "example.com"),
			want: envWith(func(e *Env) {
				e.Host, e.ServerName = "example.com", "example.com"
			}),
			wantReplace: map[string]string{"x-forwarded-host": "example.com"},
		},
		{
			name:    "bracketed IPv6 host without port",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-host"),
			headers: hdrs("X-Forwarded-Host", "[2001:db8::1]"),
			want: envWith(func(e *Env) {
				e.Host, e.ServerName = "[2001:db8::1]", "[2001:db8::1]"
			}),
			wantReplace: map[string]string{"x-forwarded-host": "[2001:db8::1]"},
		},
		{
			name:    "bracketed IPv6 host with port",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-host"),
			headers: hdrs("X-Forwarded-Host", "[2001:db8::1]:8443"),
			want: envWith(func(e *Env) {
				e.Host, e.ServerName, e.ServerPort = "[2001:db8::1]:8443", "[2001:db8::1]", "8443"
			}),
			wantReplace: map[string]string{"x-forwarded-host": "[2001:db8::1]:8443"},
		},
		{
			name:    "X-Forwarded-Host with count 2 takes the second-to-last",
			cfg:     cfg("10.0.0.1", 2, "x-forwarded-host"),
			headers: hdrs("X-Forwarded-Host", "a.example, b.example, c.example"),
			want: envWith(func(e *Env) {
				e.Host, e.ServerName = "b.example", "b.example"
			}),
			wantReplace: map[string]string{"x-forwarded-host": "b.example, c.example"},
		},
		{
			name:    "X-Forwarded-Host with bad quoting is malformed",
			cfg:     cfg("10.0.0.1", 1, "x-forwarded-host"),
			headers: hdrs("X-Forwarded-Host", `"a\`),
			wantErr: &MalformedError{Header: "X-Forwarded-Host", Reason: "Invalid quoting in value", Value: `"a\`},
		},
		{
			name:       "trusted X-Forwarded-By is kept, others removed",
			cfg:        cfg("10.0.0.1", 1, "x-forwarded-by"),
			headers:    hdrs("X-Forwarded-By", "proxy1", "X-Forwarded-For", "1.1.1.1"),
			wantRemove: []string{"x-forwarded-for"},
		},
		{
			name: "all X-Forwarded headers together",
			cfg:  cfg("10.0.0.1", 1, allXF...),
			headers: hdrs("X-Forwarded-For", "192.0.2.1:1234", "X-Forwarded-Host", "example.com",
				"X-Forwarded-Proto", "https", "X-Forwarded-Port", "8443", "X-Forwarded-By", "p", "Forwarded", "for=6.6.6.6"),
			want: Env{RemoteAddr: "192.0.2.1", RemoteHost: "192.0.2.1", RemotePort: "1234",
				Host: "example.com:8443", ServerName: "example.com", ServerPort: "8443", URLScheme: "https"},
			wantRemove:  []string{"forwarded"},
			wantReplace: map[string]string{"x-forwarded-for": "192.0.2.1:1234", "x-forwarded-host": "example.com"},
		},

		// Forwarded (RFC 7239).
		{
			name:    "Forwarded with quoted IPv6 and port",
			cfg:     cfg("10.0.0.1", 1, "forwarded"),
			headers: hdrs("Forwarded", `for="[2001:db8::1]:4711";proto=https;host=example.com`),
			want: Env{RemoteAddr: "2001:db8::1", RemoteHost: "2001:db8::1", RemotePort: "4711",
				Host: "example.com", ServerName: "example.com", ServerPort: "443", URLScheme: "https"},
			wantReplace: map[string]string{"forwarded": `for="[2001:db8::1]:4711";proto=https;host=example.com`},
		},
		{
			name:    "Forwarded values and tokens are lowercased",
			cfg:     cfg("10.0.0.1", 1, "forwarded"),
			headers: hdrs("Forwarded", `For=192.0.2.60;Proto=HTTP;Host=Example.COM:8080;By=203.0.113.43`),
			want: envWith(func(e *Env) {
				e.RemoteAddr, e.RemoteHost = "192.0.2.60", "192.0.2.60"
				e.Host, e.ServerName, e.ServerPort = "example.com:8080", "example.com", "8080"
			}),
			wantReplace: map[string]string{"forwarded": `For=192.0.2.60;Proto=HTTP;Host=Example.COM:8080;By=203.0.113.43`},
		},
		{
			name:    "Forwarded count 2: oldest trusted entry with a value wins per field",
			cfg:     cfg("10.0.0.1", 2, "forwarded"),
			headers: hdrs("Forwarded", `for=6.6.6.6;host=evil, for=192.0.2.1;proto=https, for=198.51.100.1;host=inner.example;proto=http`),
			want: Env{RemoteAddr: "192.0.2.1", RemoteHost: "192.0.2.1", RemotePort: "5000",
				Host: "inner.example", ServerName: "inner.example", ServerPort: "443", URLScheme: "https"},
			wantReplace: map[string]string{"forwarded": `for=192.0.2.1;proto=https, for=198.51.100.1;host=inner.example;proto=http`},
		},
		{
			name:        "Forwarded count 1 ignores spoofed earlier entries",
			cfg:         cfg("10.0.0.1", 1, "forwarded"),
			headers:     hdrs("Forwarded", `for=6.6.6.6;proto=https`, "Forwarded", `for=192.0.2.1`),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "192.0.2.1", "192.0.2.1" }),
			wantReplace: map[string]string{"forwarded": "for=192.0.2.1"},
		},
		{
			name:       "trusting Forwarded removes all X-Forwarded headers",
			cfg:        cfg("10.0.0.1", 1, "forwarded"),
			headers:    hdrs("X-Forwarded-For", "6.6.6.6", "X-Forwarded-Proto", "https", "X-Forwarded-By", "x"),
			wantRemove: []string{"x-forwarded-for", "x-forwarded-proto", "x-forwarded-by"},
		},
		{
			// Options forbid this mix, but Config alone does not: Waitress
			// reads X-Forwarded-For yet removes it, since trusting Forwarded
			// un-trusts every X-Forwarded header.
			name:       "Forwarded trusted alongside X-Forwarded-For: XFF is used but removed",
			cfg:        cfg("10.0.0.1", 1, "forwarded", "x-forwarded-for"),
			headers:    hdrs("X-Forwarded-For", "192.0.2.1"),
			want:       envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "192.0.2.1", "192.0.2.1" }),
			wantRemove: []string{"x-forwarded-for"},
		},
		{
			name:        "unknown Forwarded token is logged and ignored",
			cfg:         cfg("10.0.0.1", 1, "forwarded"),
			headers:     hdrs("Forwarded", "for=192.0.2.1;secret=x"),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "192.0.2.1", "192.0.2.1" }),
			wantReplace: map[string]string{"forwarded": "for=192.0.2.1;secret=x"},
			wantWarn:    []string{"Unknown Forwarded token: secret"},
		},
		{
			name:        "obfuscated identifier is passed through",
			cfg:         cfg("10.0.0.1", 1, "forwarded"),
			headers:     hdrs("Forwarded", "for=_hidden"),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "_hidden", "_hidden" }),
			wantReplace: map[string]string{"forwarded": "for=_hidden"},
		},
		{
			name:    "Forwarded pair without = is malformed",
			cfg:     cfg("10.0.0.1", 1, "forwarded"),
			headers: hdrs("Forwarded", "for=1.2.3.4;secure"),
			wantErr: &MalformedError{Header: "Forwarded", Reason: `Invalid forwarded-pair missing "="`, Value: "for=1.2.3.4;secure"},
		},
		{
			name:    "Forwarded token with whitespace is malformed",
			cfg:     cfg("10.0.0.1", 1, "forwarded"),
			headers: hdrs("Forwarded", "for =1.2.3.4"),
			wantErr: &MalformedError{Header: "Forwarded", Reason: "Token may not be surrounded by whitespace", Value: "for =1.2.3.4"},
		},
		{
			name:    "Forwarded value with whitespace is malformed",
			cfg:     cfg("10.0.0.1", 1, "forwarded"),
			headers: hdrs("Forwarded", "for=1.2.3.4; proto= https"),
			wantErr: &MalformedError{Header: "Forwarded", Reason: "Token may not be surrounded by whitespace", Value: "for=1.2.3.4; proto= https"},
		},
		{
			name:    "Forwarded value with trailing whitespace is malformed",
			cfg:     cfg("10.0.0.1", 1, "forwarded"),
			headers: hdrs("Forwarded", "proto= https;for=1.2.3.4"),
			wantErr: &MalformedError{Header: "Forwarded", Reason: "Value may not be surrounded by whitespace", Value: "proto= https;for=1.2.3.4"},
		},
		{
			name:    "Forwarded with bad quoting is malformed",
			cfg:     cfg("10.0.0.1", 1, "forwarded"),
			headers: hdrs("Forwarded", `for="1.2.3.4`),
			wantErr: &MalformedError{Header: "Forwarded", Reason: "Invalid quoting in value", Value: `for="1.2.3.4`},
		},
		{
			name:    "Forwarded unsupported proto names Forwarded Proto=",
			cfg:     cfg("10.0.0.1", 1, "forwarded"),
			headers: hdrs("Forwarded", "proto=gopher"),
			wantErr: &MalformedError{Header: "Forwarded Proto=", Reason: "unsupported proto value", Value: "gopher"},
		},
		{
			name:    "Forwarded for= with port but no address is malformed",
			cfg:     cfg("10.0.0.1", 1, "forwarded"),
			headers: hdrs("Forwarded", `for=":80"`),
			wantErr: &MalformedError{Header: "Forwarded", Reason: "empty client address", Value: `for=":80"`},
		},
		{
			// Waitress strips the brackets and is left with nothing.
			name:        "Forwarded for=[] gives an empty REMOTE_ADDR, as in Waitress",
			cfg:         cfg("10.0.0.1", 1, "forwarded"),
			headers:     hdrs("Forwarded", `for="[]"`),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = "", "" }),
			wantReplace: map[string]string{"forwarded": `for="[]"`},
		},
		{
			name:        "Forwarded with quoted escapes",
			cfg:         cfg("10.0.0.1", 1, "forwarded"),
			headers:     hdrs("Forwarded", `for="a\"b"`),
			want:        envWith(func(e *Env) { e.RemoteAddr, e.RemoteHost = `a"b`, `a"b` }),
			wantReplace: map[string]string{"forwarded": `for="a\"b"`},
		},
		{
			name:    "empty Forwarded header changes nothing",
			cfg:     cfg("10.0.0.1", 1, "forwarded"),
			headers: hdrs("Forwarded", ""),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if env == (Env{}) {
				env = baseEnv()
			}
			want := tt.want
			if want == (Env{}) {
				want = env
			}
			before := env
			c := tt.cfg
			res, err := Apply(&c, tt.headers, &env, tt.unix)
			if tt.wantErr != nil {
				me, ok := err.(*MalformedError)
				if !ok {
					t.Fatalf("err = %v, want %#v", err, tt.wantErr)
				}
				if *me != *tt.wantErr {
					t.Fatalf("err = %#v, want %#v", me, tt.wantErr)
				}
				if env != before {
					t.Errorf("env changed on error: %+v", env)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if env != want {
				t.Errorf("env =\n  %+v\nwant\n  %+v", env, want)
			}
			if !reflect.DeepEqual(res.Remove, tt.wantRemove) {
				t.Errorf("Remove = %q, want %q", res.Remove, tt.wantRemove)
			}
			gotReplace := map[string]string{}
			for _, h := range res.Replace {
				gotReplace[string(h.Name)] = string(h.Value)
			}
			if tt.wantReplace == nil {
				tt.wantReplace = map[string]string{}
			}
			if !reflect.DeepEqual(gotReplace, tt.wantReplace) {
				t.Errorf("Replace = %q, want %q", gotReplace, tt.wantReplace)
			}
			if !reflect.DeepEqual(res.Warnings, tt.wantWarn) {
				t.Errorf("Warnings = %q, want %q", res.Warnings, tt.wantWarn)
			}
		})
	}
}

func TestMalformedErrorText(t *testing.T) {
	e := &MalformedError{Header: "X-Forwarded-Proto", Reason: "unsupported proto value", Value: "ftp"}
	if got, want := e.Detail(), `Header "X-Forwarded-Proto" malformed.`; got != want {
		t.Errorf("Detail() = %q, want %q", got, want)
	}
	if got, want := e.LogMessage("10.0.0.1"), `Malformed proxy header "X-Forwarded-Proto" from "10.0.0.1": unsupported proto value value: ftp`; got != want {
		t.Errorf("LogMessage() = %q, want %q", got, want)
	}
	if !strings.Contains(e.Error(), "X-Forwarded-Proto") {
		t.Errorf("Error() = %q does not name the header", e.Error())
	}
}

func TestUndquote(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"abc", "abc", true},
		{`"abc"`, "abc", true},
		{`""`, "", true},
		{`"a\"b"`, `a"b`, true},
		{`"a\\b"`, `a\b`, true},
		{`"`, "", false},
		{`"abc`, "", false},
		{`abc"`, "", false},
		{`"a"b"`, "", false},
		{`"a\"`, "", false},
		{"\"a\x01\"", "", false},
		{"\"caf\xe9\"", "caf\xe9", true},
	}
	for _, tt := range tests {
		got, err := undquote(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("undquote(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
