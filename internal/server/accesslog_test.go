package server

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/waitress-go/waitress-go/internal/wsgi"
)

func accessEntry() *AccessEntry {
	ev := func(k, v string) wsgi.EnvVar { return wsgi.EnvVar{Key: k, Value: []byte(v)} }
	return &AccessEntry{
		Start:    time.Date(2024, 3, 9, 8, 7, 6, 0, time.FixedZone("X", 3600)),
		Duration: 1234567 * time.Microsecond,
		Environ: []wsgi.EnvVar{
			ev("REQUEST_METHOD", "GET"), ev("PATH_INFO", "/a b"), ev("QUERY_STRING", "x=1"),
			ev("REQUEST_URI", "/a%20b?x=1"), ev("SERVER_PROTOCOL", "HTTP/1.1"),
			ev("REMOTE_ADDR", "192.0.2.7"), ev("HTTP_REFERER", "http://ex/"),
			ev("HTTP_USER_AGENT", `curl/8 "quoted"`), ev("HTTP_AUTHORIZATION", "Basic YWxpY2U6c2VjcmV0"),
			ev("HTTP_X_REQUEST_ID", "abc\x01"), ev("CONTENT_TYPE", "text/plain"),
		},
		Status:  "404 Not Found",
		Headers: []wsgi.Header{{Name: "Content-Type", Value: "text/html"}},
		Sent:    42,
	}
}

func TestAccessLogFormat(t *testing.T) {
	combined := `%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"`
	for _, tc := range []struct{ format, want string }{
		{combined, `192.0.2.7 - alice [09/Mar/2024:08:07:07 +0100] "GET /a%20b?x=1 HTTP/1.1" 404 42 "http://ex/" "curl/8 \"quoted\""`},
		{"%(m)s %(U)s %(q)s %(H)s %(B)s", "GET /a b x=1 HTTP/1.1 42"},
		{"%(T)s %(M)s %(D)s %(L)s", "1 1234 1234567 1.234567"},
		{"%({x-request-id}i)s|%({content-type}o)s|%({CONTENT_TYPE}i)s|%({missing}i)s", `abc\x01|text/html|text/plain|-`},
		{"%({PATH_INFO}e)s %(nosuch)s 100%%", "/a b - 100%"},
		{"plain text", "plain text"},
	} {
		f, err := ParseAccessLogFormat(tc.format)
		if err != nil {
			t.Fatalf("%q: %v", tc.format, err)
		}
		if got := f.Format(accessEntry()); got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.format, got, tc.want)
		}
	}
}

func TestAccessLogFormatPid(t *testing.T) {
	f, _ := ParseAccessLogFormat("%(p)s")
	if got := f.Format(accessEntry()); !regexp.MustCompile(`^<\d+>$`).MatchString(got) {
		t.Errorf("p = %q", got)
	}
}

func TestAccessLogUser(t *testing.T) {
	for auth, want := range map[string]string{
		"":                           "-",
		"Bearer xyz":                 "-",
		"Basic !!!":                  "-",
		"basic Ym9iOnB3":             "bob",
		"Basic bm9jb2xvbg==":         "-", // "nocolon"
		"Basic OnBhc3N3b3JkLW9ubHk=": "",  // ":password-only"
	} {
		if got := basicUser(auth); got != want {
			t.Errorf("basicUser(%q) = %q, want %q", auth, got, want)
		}
	}
}

func TestAccessLogFormatErrors(t *testing.T) {
	for _, f := range []string{"100%", "%s", "%(h", "%(h)x", "%()s", "%(h)"} {
		if _, err := ParseAccessLogFormat(f); err == nil || !strings.Contains(err.Error(), "access log format") {
			t.Errorf("%q: err = %v", f, err)
		}
	}
}
