package http1

import (
	"fmt"
	"strings"
	"testing"
)

func testLimits() Limits { return DefaultLimits() }

type wantReq struct {
	method, target, path, query string
	minor                       int
	headers                     []string // "Name: value"
	cl                          int64
	chunked, keepAlive, expect  bool
}

func checkReq(t *testing.T, in string, r *Request, w wantReq) {
	t.Helper()
	if got := string(r.Method); got != w.method {
		t.Errorf("%q: Method = %q, want %q", in, got, w.method)
	}
	if got := string(r.Target); got != w.target {
		t.Errorf("%q: Target = %q, want %q", in, got, w.target)
	}
	if got := string(r.Path); got != w.path {
		t.Errorf("%q: Path = %q, want %q", in, got, w.path)
	}
	if got := string(r.Query); got != w.query {
		t.Errorf("%q: Query = %q, want %q", in, got, w.query)
	}
	if r.Major != 1 || r.Minor != w.minor {
		t.Errorf("%q: version = %d.%d, want 1.%d", in, r.Major, r.Minor, w.minor)
	}
	if w.headers != nil {
		var got []string
		for _, h := range r.Headers {
			got = append(got, string(h.Name)+": "+string(h.Value))
		}
		if strings.Join(got, "|") != strings.Join(w.headers, "|") {
			t.Errorf("%q: Headers = %q, want %q", in, got, w.headers)
		}
	}
	if r.ContentLength != w.cl || r.Chunked != w.chunked || r.KeepAlive != w.keepAlive || r.Expect100 != w.expect {
		t.Errorf("%q: cl=%d chunked=%v keepAlive=%v expect=%v, want %d %v %v %v", in,
			r.ContentLength, r.Chunked, r.KeepAlive, r.Expect100, w.cl, w.chunked, w.keepAlive, w.expect)
	}
}

var acceptTests = []struct {
	in   string
	want wantReq
}{
	{"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		wantReq{method: "GET", target: "/", path: "/", minor: 1, headers: []string{"Host: a"}, cl: -1, keepAlive: true}},
	{"GET /a/b%20c?x=1&y=%zz HTTP/1.1\r\nHost: example.com:8080\r\nAccept:  text/html \t\r\n\r\n",
		wantReq{method: "GET", target: "/a/b%20c?x=1&y=%zz", path: "/a/b%20c", query: "x=1&y=%zz", minor: 1,
			headers: []string{"Host: example.com:8080", "Accept: text/html"}, cl: -1, keepAlive: true}},
	// Waitress drops the fragment from PATH_INFO and QUERY_STRING.
	{"GET /p#frag?x HTTP/1.1\r\nHost: a\r\n\r\n",
		wantReq{method: "GET", target: "/p#frag?x", path: "/p", minor: 1, cl: -1, keepAlive: true}},
	{"GET /p?q#f HTTP/1.1\r\nHost: a\r\n\r\n",
		wantReq{method: "GET", target: "/p?q#f", path: "/p", query: "q", minor: 1, cl: -1, keepAlive: true}},
	// Waitress keeps a leading "//" as part of the path.
	{"GET //x/y?z HTTP/1.1\r\nHost: a\r\n\r\n",
		wantReq{method: "GET", target: "//x/y?z", path: "//x/y", query: "z", minor: 1, cl: -1, keepAlive: true}},
	// absolute-form: the path part is used; an empty one stays empty as in Waitress.
	{"GET http://example.com/a?b HTTP/1.1\r\nHost: example.com\r\n\r\n",
		wantReq{method: "GET", target: "http://example.com/a?b", path: "/a", query: "b", minor: 1, cl: -1, keepAlive: true}},
	{"GET HTTPS://[::1]:8443?q HTTP/1.1\r\nHost: x\r\n\r\n",
		wantReq{method: "GET", target: "HTTPS://[::1]:8443?q", path: "", query: "q", minor: 1, cl: -1, keepAlive: true}},
	{"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		wantReq{method: "OPTIONS", target: "*", path: "*", minor: 1, cl: -1, keepAlive: true}},
	// HTTP/1.0: close unless keep-alive; no Host needed.
	{"GET / HTTP/1.0\r\n\r\n",
		wantReq{method: "GET", target: "/", path: "/", minor: 0, headers: []string{}, cl: -1}},
	{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		wantReq{method: "GET", target: "/", path: "/", minor: 0, cl: -1, keepAlive: true}},
	{"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
		wantReq{method: "GET", target: "/", path: "/", minor: 0, cl: -1}},
	{"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, CLOSE\r\n\r\n",
		wantReq{method: "GET", target: "/", path: "/", minor: 1, cl: -1}},
	// HTTP/1.2 is read as HTTP/1.1 (RFC 9112 §2.3).
	{"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
		wantReq{method: "GET", target: "/", path: "/", minor: 1, cl: -1, keepAlive: true}},
	{"POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 0005\r\n\r\nhello",
		wantReq{method: "POST", target: "/f", path: "/f", minor: 1, cl: 5, keepAlive: true}},
	{"POST /f HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
		wantReq{method: "POST", target: "/f", path: "/f", minor: 0, cl: 0}},
	// Transfer-Encoding is taken out of Headers; empty list elements are ignored (RFC 9110 §5.6.1).
	{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,CHUNKED,\r\nX: 1\r\n\r\n",
		wantReq{method: "POST", target: "/", path: "/", minor: 1, headers: []string{"Host: a", "X: 1"}, cl: -1, chunked: true, keepAlive: true}},
	// Waitress strips OWS before splitting, so a trailing ", " is an empty element.
	{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, \r\n\r\n",
		wantReq{method: "POST", target: "/", path: "/", minor: 1, cl: -1, chunked: true, keepAlive: true}},
	{"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n",
		wantReq{method: "PUT", target: "/", path: "/", minor: 1, cl: 3, keepAlive: true, expect: true}},
	// Expect is an HTTP/1.1 feature only.
	{"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
		wantReq{method: "PUT", target: "/", path: "/", minor: 0, cl: 3}},
	// Headers with "_" are dropped, as Waitress does; duplicates and order are kept.
	{"GET / HTTP/1.1\r\nHost: a\r\nX_Forwarded_For: evil\r\nA: 1\r\nA: 2\r\nEmpty:\r\n\r\n",
		wantReq{method: "GET", target: "/", path: "/", minor: 1, headers: []string{"Host: a", "A: 1", "A: 2", "Empty: "}, cl: -1, keepAlive: true}},
	// A Content_Length header is dropped, so it does not frame the body.
	{"GET / HTTP/1.1\r\nHost: a\r\nContent_Length: 5\r\n\r\n",
		wantReq{method: "GET", target: "/", path: "/", minor: 1, headers: []string{"Host: a"}, cl: -1, keepAlive: true}},
	// Values keep inner whitespace and obs-text.
	{"GET / HTTP/1.1\r\nHost: a\r\nX: a \t b\xff\r\n\r\n",
		wantReq{method: "GET", target: "/", path: "/", minor: 1, headers: []string{"Host: a", "X: a \t b\xff"}, cl: -1, keepAlive: true}},
	// Empty lines before the request line are skipped (RFC 9112 §2.2).
	{"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		wantReq{method: "GET", target: "/", path: "/", minor: 1, cl: -1, keepAlive: true}},
	{"M-SEARCH /%7E HTTP/1.1\r\nHost: \r\n\r\n",
		wantReq{method: "M-SEARCH", target: "/%7E", path: "/%7E", minor: 1, cl: -1, keepAlive: true}},
}

func TestParseHeadAccept(t *testing.T) {
	var r Request
	for _, tt := range acceptTests {
		n, err := ParseHead([]byte(tt.in), testLimits(), &r)
		if err != nil {
			t.Errorf("%q: unexpected error %v", tt.in, err)
			continue
		}
		wantN := strings.Index(tt.in, "\r\n\r\n") + 4
		if strings.HasPrefix(tt.in, "\r\n") {
			wantN = strings.Index(tt.in[4:], "\r\n\r\n") + 8
		}
		if n != wantN || r.HeadLen != n {
			t.Errorf("%q: n = %d, HeadLen = %d, want %d", tt.in, n, r.HeadLen, wantN)
		}
		checkReq(t, tt.in, &r, tt.want)
	}
}

var rejectTests = []struct {
	in     string
	status int
	detail string
}{
	// Request line.
	{"GET /\r\n\r\n", 400, msgStartLine},
	{"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgStartLine},
	{"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, msgStartLine},
	{" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgStartLine},
	{"GET / http/1.1\r\nHost: a\r\n\r\n", 400, msgStartLine},
	{"GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, msgStartLine},
	{"GET / HTTP/11\r\nHost: a\r\n\r\n", 400, msgStartLine},
	{"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgStartLine},
	{"GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgStartLine},
	{"GET /a\x7fb HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgStartLine},
	{"GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgStartLine},
	{"get / HTTP/1.1\r\nHost: a\r\n\r\n", 400, `Malformed HTTP method "get"`},
	{"GET / HTTP/1.1\rX\r\nHost: a\r\n\r\n", 400, msgBareCRLFStart},
	{"GET / HTTP/1.1\nHost: a\r\n\r\n", 400, msgBareCRLFStart},
	{"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgBareCRLFStart},
	{"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP version is not supported"},
	{"GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, "HTTP version is not supported"},
	// Request-target forms.
	{"GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgAsteriskNotOpts},
	{"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgBadURI},
	{"GET //x/\xff HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgBadURI},
	{"GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgBadURI},
	{"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 400, msgBadURI},
	{"GET ftp://a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgBadURI},
	{"GET http:///b HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgBadURI},
	{"GET http://u@a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgBadURI},
	{"GET http://a:b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, msgBadURI},
	// Header lines.
	{"GET / HTTP/1.1\r\nHost: a\r\nX : 1\r\n\r\n", 400, msgInvalidHeader},
	{"GET / HTTP/1.1\r\nHost: a\r\nX\r\n\r\n", 400, msgInvalidHeader},
	{"GET / HTTP/1.1\r\nHost: a\r\n: 1\r\n\r\n", 400, msgInvalidHeader},
	{"GET / HTTP/1.1\r\nHost: a\r\nX(: 1\r\n\r\n", 400, msgInvalidHeader},
	{"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400, msgInvalidHeader},
	{"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n", 400, msgInvalidHeader},
	{"GET / HTTP/1.1\r\nHost: a\r\nX_Y: a\x01b\r\n\r\n", 400, msgInvalidHeader},
	{"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400, "Bare CR or LF found in header line \"X: a\rb\""},
	{"GET / HTTP/1.1\r\nHost: a\r\nX: ab\n\r\n", 400, "Bare CR or LF found in header line \"X: ab\""},
	{"GET / HTTP/1.1\nHost: a\n\n", 400, msgBareCRLFStart},
	{"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n more\r\n\r\n", 400, `Malformed header line " more"`},
	{"GET / HTTP/1.1\r\n\tHost: a\r\n\r\n", 400, "Malformed header line \"\tHost: a\""},
	// Host (RFC 9112 §3.2).
	{"GET / HTTP/1.1\r\n\r\n", 400, msgNoHost},
	{"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, msgManyHosts},
	{"GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400, msgManyHosts},
	{"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, msgBadHost},
	{"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, msgBadHost},
	{"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, msgBadHost},
	{"GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", 400, msgBadHost},
	{"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, msgBadHost},
	{"GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400, msgBadHost},
	// Content-Length.
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, msgBadCL},
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400, msgBadCL},
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400, msgBadCL},
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 400, msgBadCL},
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400, msgBadCL},
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400, msgBadCL},
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400, msgBadCL},
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1073741824\r\n\r\n", 413, "exceeds max_body of 1073741824"},
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413, "exceeds max_body of 1073741824"},
	// Transfer-Encoding.
	{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, msgTENotImpl},
	{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 501, msgTENotImpl},
	{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501, msgTENotImpl},
	{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", 501, msgTENotImpl},
	{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , ,chunked\r\n\r\n", 501, msgTENotImpl},
	{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400, msgTEInvalid},
	{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, msgTEInvalid},
	{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400, msgTEInvalid},
	{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400, msgTEWithCL},
	{"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, msgTEHTTP10},
}

func TestParseHeadReject(t *testing.T) {
	var r Request
	for _, tt := range rejectTests {
		n, err := ParseHead([]byte(tt.in), testLimits(), &r)
		e, ok := err.(*Error)
		if !ok || n != 0 {
			t.Errorf("%q: got n=%d err=%v, want %d %q", tt.in, n, err, tt.status, tt.detail)
			continue
		}
		if e.Status != tt.status || e.Detail != tt.detail {
			t.Errorf("%q: got %d %q, want %d %q", tt.in, e.Status, e.Detail, tt.status, tt.detail)
		}
	}
}

func TestParseHeadVersionOfErrors(t *testing.T) {
	// Waitress answers with the request's version only when it got past the request line.
	var r Request
	_, err := ParseHead([]byte("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n"), testLimits(), &r)
	if e := err.(*Error); e.Major != 1 || e.Minor != 1 {
		t.Errorf("Content-Length error version = %d.%d, want 1.1", e.Major, e.Minor)
	}
	_, err = ParseHead([]byte("POST / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n"), testLimits(), &r)
	if e := err.(*Error); e.Major != 1 || e.Minor != 0 {
		t.Errorf("header line error version = %d.%d, want 1.0", e.Major, e.Minor)
	}
}

func TestParseHeadAllowMissingHost(t *testing.T) {
	var r Request
	lim := testLimits()
	lim.AllowMissingHost = true
	n, err := ParseHead([]byte("GET / HTTP/1.1\r\n\r\n"), lim, &r)
	if err != nil || n != 18 {
		t.Fatalf("got %d, %v; want 18, nil", n, err)
	}
}

func TestParseHeadLimits(t *testing.T) {
	var r Request
	head := "GET / HTTP/1.1\r\nHost: a\r\n\r\n" // 27 bytes
	lim := Limits{MaxHeaderBytes: 28, MaxBodyBytes: 10}
	if n, err := ParseHead([]byte(head), lim, &r); n != 27 || err != nil {
		t.Errorf("head of max-1 bytes: got %d, %v", n, err)
	}
	lim.MaxHeaderBytes = 27 // Waitress: header_bytes_received >= max_header
	for _, in := range []string{head, head + "body", head[:26] + "x"} {
		_, err := ParseHead([]byte(in), lim, &r)
		if e, ok := err.(*Error); !ok || e.Status != 431 || e.Detail != "exceeds max_header of 27" {
			t.Errorf("%q with max 27: got %v, want 431", in, err)
		}
	}
	// Not yet at the limit and incomplete: read more.
	if n, err := ParseHead([]byte(head[:26]), lim, &r); n != 0 || err != nil {
		t.Errorf("incomplete head below limit: got %d, %v", n, err)
	}
	// Body limits: Waitress refuses Content-Length >= max_request_body_size.
	for cl, want := range map[string]int{"9": 0, "10": 413, "0": 0} {
		_, err := ParseHead([]byte("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "+cl+"\r\n\r\n"),
			Limits{MaxHeaderBytes: 1000, MaxBodyBytes: 10}, &r)
		got := 0
		if err != nil {
			got = err.(*Error).Status
		}
		if got != want {
			t.Errorf("Content-Length %s with max 10: got %v, want %d", cl, err, want)
		}
	}
	// Header count.
	many := "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("A: b\r\n", 4) + "\r\n"
	if _, err := ParseHead([]byte(many), Limits{MaxHeaderBytes: 1000, MaxHeaders: 5}, &r); err != nil {
		t.Errorf("5 headers with MaxHeaders 5: %v", err)
	}
	_, err := ParseHead([]byte(many), Limits{MaxHeaderBytes: 1000, MaxHeaders: 4}, &r)
	if e, ok := err.(*Error); !ok || e.Status != 431 {
		t.Errorf("5 headers with MaxHeaders 4: got %v, want 431", err)
	}
}

// Every prefix of a request is "need more" (or the same error), and the full input parses the
// same whatever came before, so the caller can feed bytes at any split.
func TestParseHeadSplits(t *testing.T) {
	var inputs []string
	for _, tt := range acceptTests {
		inputs = append(inputs, tt.in)
	}
	for _, tt := range rejectTests {
		inputs = append(inputs, tt.in)
	}
	var whole, part Request
	for _, in := range inputs {
		n, werr := ParseHead([]byte(in), testLimits(), &whole)
		for i := 0; i < len(in); i++ {
			pn, perr := ParseHead([]byte(in[:i]), testLimits(), &part)
			if perr != nil {
				if werr == nil || perr.Error() != werr.Error() {
					t.Errorf("%q: prefix %d gave %v, whole gave %v", in, i, perr, werr)
				}
				continue
			}
			if pn != 0 && (pn != n || fmt.Sprint(part) != fmt.Sprint(whole)) {
				t.Errorf("%q: prefix %d parsed to n=%d, whole n=%d", in, i, pn, n)
			}
		}
	}
}

func TestParseHeadReuse(t *testing.T) {
	var r Request
	ParseHead([]byte("POST /x?y HTTP/1.1\r\nHost: a\r\nA: 1\r\nTransfer-Encoding: chunked\r\n\r\n"), testLimits(), &r)
	n, err := ParseHead([]byte("GET / HTTP/1.0\r\n\r\n"), testLimits(), &r)
	if err != nil || n == 0 {
		t.Fatal(n, err)
	}
	checkReq(t, "reuse", &r, wantReq{method: "GET", target: "/", path: "/", minor: 0, headers: []string{}, cl: -1})
}

func TestErrorPage(t *testing.T) {
	e := badRequest("Content-Length is invalid", 1)
	status, headers, body := e.Page()
	if status != "400 Bad Request" {
		t.Errorf("status = %q", status)
	}
	wantBody := "Bad Request\r\n\r\nContent-Length is invalid\r\n\r\n(generated by waitress)"
	if string(body) != wantBody {
		t.Errorf("body = %q, want %q", body, wantBody)
	}
	wantHeaders := [][2]string{{"Content-Type", "text/plain; charset=utf-8"}, {"Connection", "close"},
		{"Content-Length", fmt.Sprint(len(wantBody))}}
	if fmt.Sprint(headers) != fmt.Sprint(wantHeaders) {
		t.Errorf("headers = %q, want %q", headers, wantHeaders)
	}
	if _, _, body := e.PageIdent(""); !strings.HasSuffix(string(body), "(generated by server)") {
		t.Errorf("empty ident body = %q", body)
	}
	if e.Error() != "400 Bad Request: Content-Length is invalid" {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestDecodePath(t *testing.T) {
	for _, tt := range []struct {
		in, out string
		bad     bool
	}{
		{"/a%20b", "/a b", false},
		{"/%E2%82%ac", "/\xe2\x82\xac", false},
		{"/%2F%2f", "///", false},
		{"/100%", "/100%", true},
		{"/%zz%4", "/%zz%4", true},
		{"/%%41", "/%A", true},
		{"", "", false},
	} {
		got, err := DecodePath([]byte(tt.in), nil)
		if string(got) != tt.out || (err != nil) != tt.bad {
			t.Errorf("DecodePath(%q) = %q, %v; want %q, invalid=%v", tt.in, got, err, tt.out, tt.bad)
		}
	}
}

const browserRequest = "GET /static/app.js?v=1.2.3 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Referer: https://www.example.com/index.html\r\n" +
	"Connection: keep-alive\r\n" +
	"Cookie: session=0123456789abcdef0123456789abcdef; theme=dark\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"Sec-Fetch-Dest: document\r\n" +
	"Sec-Fetch-Mode: navigate\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"Priority: u=0, i\r\n\r\n"

func BenchmarkParseHead(b *testing.B) {
	buf := []byte(browserRequest)
	lim := DefaultLimits()
	var r Request
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := ParseHead(buf, lim, &r); n != len(buf) || err != nil {
			b.Fatal(n, err)
		}
	}
}

func TestParseHeadNoAllocs(t *testing.T) {
	buf := []byte(browserRequest)
	lim := DefaultLimits()
	var r Request
	ParseHead(buf, lim, &r)
	if a := testing.AllocsPerRun(100, func() { ParseHead(buf, lim, &r) }); a != 0 {
		t.Errorf("ParseHead allocates %v times per request", a)
	}
}

func TestValidHost(t *testing.T) {
	for in, want := range map[string]bool{
		"example.com": true, "example.com:80": true, "a:": true, "": true, "xn--bcher-kva.example": true,
		"[::1]": true, "[::1]:8080": true, "[2001:db8::ffff:1.2.3.4]": true, "[v1.fe80::a+en1]": true,
		"[0]": false, "[1.2.3.4]": false, "[::1": false, "[fe80::1%25en0]": false, "[]": false, "[v1.]": false,
		"a b": false, "a/b": false, "u@h": false, "h:8x": false, "h:1:2": false, "%4": false, "%41x": true,
	} {
		if got := validHost([]byte(in)); got != want {
			t.Errorf("validHost(%q) = %v, want %v", in, got, want)
		}
	}
}
