package proxy

import (
	"strings"
	"testing"
)

// FuzzApply feeds arbitrary proxy header values and configurations to Apply.
// Beyond not panicking it checks what users rely on: an untrusted peer never
// changes the environ, errors leave the environ alone, only proxy headers
// that were sent are removed, and a trusted proxy header is never removed.
func FuzzApply(f *testing.F) {
	seeds := []struct {
		xff, xfh, xfproto, xfport, fwd string
		trusted                        uint8
		count                          int
		peerTrusted                    bool
	}{
		{"192.0.2.1", "example.com", "https", "443", "", 0b011111, 1, true},
		{"6.6.6.6, 192.0.2.1", "a, b", "http", "8080", "", 0b000011, 2, true},
		{`"[2001:db8::1]:4711"`, `"ex\"ample"`, "HTTPS", `"80"`, "", 0b001111, 1, true},
		{"", "", "", "", `for="[2001:db8::1]:4711";proto=https;host=example.com`, 0b100000, 1, true},
		{"", "", "", "", `for=1.2.3.4;secure, for =x;proto= https`, 0b100000, 3, true},
		{"6.6.6.6", "evil", "https", "1", "for=6.6.6.6", 0b111111, 1, false},
		{":.", "[::1]:", "ftp", "80,443", `for=":80"`, 0b111111, 0, true},
		{"\xa0 1.1.1.1 \x85", "\xc0X:1", "\"", "\"\"", "FOR=\"\xe9\"", 0b100001, 2, true},
	}
	for _, s := range seeds {
		f.Add(s.xff, s.xfh, s.xfproto, s.xfport, s.fwd, s.trusted, s.count, s.peerTrusted, true, true)
	}
	f.Fuzz(func(t *testing.T, xff, xfh, xfproto, xfport, fwd string, trusted uint8, count int, peerTrusted, clear, log bool) {
		cfg := Config{TrustedProxy: "10.0.0.1", TrustedProxyCount: count % 8, TrustedProxyHeaders: map[string]bool{},
			ClearUntrusted: clear, LogUntrusted: log}
		for i, name := range headerNames {
			if trusted&(1<<i) != 0 {
				cfg.TrustedProxyHeaders[name] = true
			}
		}
		var headers []Header
		sent := map[string]bool{}
		for i, v := range []string{xff, xfh, xfproto, xfport, fwd} {
			name := headerNames[i]
			if i == 4 {
				name = "Forwarded"
			}
			if v != "" {
				headers = append(headers, Header{Name: []byte(strings.ToUpper(name)), Value: []byte(v)})
				sent[strings.ToLower(name)] = true
			}
		}
		env := baseEnv()
		if !peerTrusted {
			env.RemoteAddr = "10.0.0.2"
		}
		before := env
		res, err := Apply(&cfg, headers, &env, false)
		if err != nil {
			if _, ok := err.(*MalformedError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if !peerTrusted {
				t.Fatalf("untrusted peer got an error: %v", err)
			}
			if env != before {
				t.Fatalf("env changed on error: %+v", env)
			}
			return
		}
		if !peerTrusted && env != before {
			t.Fatalf("untrusted peer changed env: %+v", env)
		}
		if !peerTrusted && len(res.Replace) > 0 {
			t.Fatalf("untrusted peer got header rewrites: %q", res.Replace)
		}
		if !clear && len(res.Remove) > 0 {
			t.Fatalf("headers removed with clearing off: %q", res.Remove)
		}
		for _, r := range res.Remove {
			if !sent[r] {
				t.Fatalf("removed %q, which was not sent", r)
			}
			if peerTrusted && cfg.TrustedProxyHeaders[r] && !(r != "forwarded" && cfg.TrustedProxyHeaders["forwarded"]) {
				t.Fatalf("removed trusted header %q", r)
			}
		}
		if env.URLScheme != "http" && env.URLScheme != "https" {
			t.Fatalf("url scheme %q", env.URLScheme)
		}
	})
}
