package e2e

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileCase is one request a hostile client sends. Rejected cases must get the error page
// with code (0: any error page, or a close without one), the connection must close, and the
// application must not run. Statuses and details were checked against Waitress 3.0.2 with
// E2E_SERVER=waitress; ours names what Waitress does instead where waitress-go is stricter.
type hostileCase struct {
	name   string
	req    string // "%s" is replaced by a path unique to the case
	code   int
	detail string
	ours   string // non-empty: ours only; what Waitress does with it
	big    bool   // the server may answer before reading all of req: write concurrently
}

// callsServer starts calls_app with a fresh calls file and returns the server and the file.
func callsServer(t *testing.T, args ...string) (*server, string) {
	t.Helper()
	calls := filepath.Join(t.TempDir(), "calls")
	s := startServer(t, serverConfig{app: "calls_app:app", args: args, env: []string{"E2E_CALLS_FILE=" + calls}})
	return s, calls
}

// callLines returns the "METHOD PATH" lines calls_app recorded so far.
func callLines(calls string) []string {
	data, _ := os.ReadFile(calls)
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// runHostile sends each case on a fresh connection and checks it was refused and never
// reached the application, and that the server still answers afterwards.
func runHostile(t *testing.T, s *server, calls string, tests []hostileCase) {
	t.Helper()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ours != "" {
				oursOnly(t, tt.ours)
			}
			before := len(callLines(calls))
			path := fmt.Sprintf("/hostile-%d", i)
			req := strings.ReplaceAll(tt.req, "%s", path)
			c := dialRaw(t, s)
			if tt.big {
				go func() {
					c.c.SetWriteDeadline(time.Now().Add(rawTimeout))
					io.WriteString(c.c, req) // fails once the server has answered and closed
				}()
			} else {
				c.send(req)
			}
			checkRejected(t, c, tt.code, tt.detail)
			if after := callLines(calls); len(after) != before {
				t.Fatalf("the application ran for a refused request: %q", after[before:])
			}
			resp, body := s.get(t, "/alive")
			if resp.StatusCode != 200 || string(body) != "ok " {
				t.Fatalf("server no longer answers after the bad request: %d %q", resp.StatusCode, body)
			}
		})
	}
}

// TestHostileFraming: ambiguous or malformed message framing (Content-Length,
// Transfer-Encoding, chunked bodies and trailers), the raw material of request smuggling.
func TestHostileFraming(t *testing.T) {
	t.Parallel()
	s, calls := callsServer(t)
	const te = "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
	runHostile(t, s, calls, []hostileCase{
		// Content-Length: anything but 1*DIGIT.
		{name: "CL with inner space", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: 1 0\r\n\r\n0123456789", code: 400, detail: "Content-Length is invalid"},
		{name: "CL in hex", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\nhello", code: 400, detail: "Content-Length is invalid"},
		{name: "CL with trailing junk", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: 5abc\r\n\r\nhello", code: 400, detail: "Content-Length is invalid"},
		{name: "CL empty", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", code: 400, detail: "Content-Length is invalid"},
		{name: "CL as a list", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello", code: 400, detail: "Content-Length is invalid"},
		{name: "CL non-ASCII digit", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: \u0665\r\n\r\nhello", code: 400, detail: "Content-Length is invalid"},
		{name: "CL overflowing int64", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999999\r\n\r\nhello", code: 413, detail: "exceeds max_body of 1073741824"},

		// Transfer-Encoding other than a final chunked.
		{name: "TE chunked, identity", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n", code: 501, detail: "Transfer-Encoding requested is not supported."},
		{name: "TE identity", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", code: 501, detail: "Transfer-Encoding requested is not supported."},
		{name: "TE gzip, chunked", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", code: 501, detail: "Transfer-Encoding requested is not supported."},
		{name: "TE xchunked", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", code: 501, detail: "Transfer-Encoding requested is not supported."},
		{name: "TE chunked with vertical tab", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\x0b\r\n\r\n5\r\nhello\r\n0\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "TE then CL", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", code: 400,
			ours: "Waitress lets Transfer-Encoding win over Content-Length"},
		{name: "TE chunked, chunked", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", code: 400,
			ours: "Waitress accepts chunked applied twice"},
		{name: "TE in two header lines", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", code: 400,
			ours: "Waitress joins the two lines and accepts them"},
		{name: "TE empty", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n", code: 400,
			ours: "Waitress treats an empty Transfer-Encoding as absent"},
		{name: "TE in HTTP/1.0", req: "POST %s HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", code: 400,
			ours: "Waitress ignores Transfer-Encoding in HTTP/1.0 requests"},
		{name: "TE in HTTP/1.0 with CL", req: "POST %s HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc", code: 400,
			ours: "Waitress ignores Transfer-Encoding in HTTP/1.0 and frames by Content-Length"},

		// Chunk size lines.
		{name: "chunk size 0x prefix", req: te + "0x5\r\nhello\r\n0\r\n\r\n", code: 400, detail: "Invalid chunk size"},
		{name: "chunk size negative", req: te + "-5\r\nhello\r\n0\r\n\r\n", code: 400, detail: "Invalid chunk size"},
		{name: "chunk size with plus", req: te + "+5\r\nhello\r\n0\r\n\r\n", code: 400, detail: "Invalid chunk size"},
		{name: "chunk size leading space", req: te + " 5\r\nhello\r\n0\r\n\r\n", code: 400, detail: "Invalid chunk size"},
		{name: "chunk size trailing space", req: te + "5 \r\nhello\r\n0\r\n\r\n", code: 400, detail: "Invalid chunk size"},
		{name: "chunk size bare LF", req: te + "5\nhello\r\n0\r\n\r\n", code: 400, detail: "Invalid chunk size"},
		{name: "chunk data ends in bare LF", req: te + "5\r\nhello\n0\r\n\r\n", code: 400, detail: "Chunk not properly terminated"},
		{name: "chunk longer than its size", req: te + "3\r\nhello\r\n0\r\n\r\n", code: 400, detail: "Chunk not properly terminated"},
		{name: "chunk extension with NUL", req: te + "5;foo=b\x00r\r\nhello\r\n0\r\n\r\n", code: 400, detail: "Invalid chunk extension"},
		{name: "chunk extension bare semicolon", req: te + "5;\r\nhello\r\n0\r\n\r\n", code: 400, detail: "Invalid chunk extension"},
		{name: "chunk extension with bare LF", req: te + "5;a\nb\r\nhello\r\n0\r\n\r\n", code: 400, detail: "Invalid chunk extension"},
		{name: "chunk size overflowing 64 bits", req: te + "FFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n", code: 413,
			ours: "Waitress waits for 2^80 bytes of chunk data"},
		{name: "chunk size 2^64+5", req: te + "10000000000000005\r\nhello\r\n0\r\n\r\n", code: 413,
			ours: "Waitress waits for the data of a 2^64+5 byte chunk"},
		{name: "chunk extension of 200 kB", req: te + "5;" + strings.Repeat("a", 200000) + "\r\nhello\r\n0\r\n\r\n", code: 400, big: true,
			ours: "Waitress buffers a chunk size line of any length"},
		{name: "last chunk with bare LF", req: te + "5\r\nhello\r\n0\n\r\n", code: 400,
			ours: "Waitress waits for more input"},
		{name: "empty chunk size line", req: te + "\r\n5\r\nhello\r\n0\r\n\r\n", code: 400,
			ours: "Waitress skips empty chunk size lines"},

		// Trailers: Waitress discards the trailer section unparsed; waitress-go parses it.
		{name: "malformed trailer", req: te + "5\r\nhello\r\n0\r\nbad trailer\r\n\r\n", code: 400,
			ours: "Waitress does not parse trailers"},
		{name: "trailer with bare LF", req: te + "5\r\nhello\r\n0\r\nX-T: 1\nY: 2\r\n\r\n", code: 400,
			ours: "Waitress does not parse trailers"},
		{name: "trailer of 300 kB", req: te + "5\r\nhello\r\n0\r\nX-T: " + strings.Repeat("a", 300000) + "\r\n\r\n", code: 400, big: true,
			ours: "Waitress buffers a trailer section of any size"},
	})
}

// TestHostileHeaderSyntax: malformed header fields and oversized heads.
func TestHostileHeaderSyntax(t *testing.T) {
	t.Parallel()
	s, calls := callsServer(t)
	var many strings.Builder
	for i := 0; i < 30000; i++ {
		fmt.Fprintf(&many, "X-%d: a\r\n", i)
	}
	var justOver strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&justOver, "X-%d: a\r\n", i)
	}
	runHostile(t, s, calls, []hostileCase{
		{name: "obs-fold on the first field", req: "GET %s HTTP/1.1\r\n X-A: a\r\nHost: h\r\n\r\n", code: 400, detail: `Malformed header line " X-A: a"`},
		{name: "tab before colon", req: "GET %s HTTP/1.1\r\nHost: h\r\nX-A\t: a\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "bare CR in value", req: "GET %s HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n", code: 400, detail: "Bare CR or LF found in header line"},
		{name: "control character in value", req: "GET %s HTTP/1.1\r\nHost: h\r\nX-A: a\x01b\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "DEL in value", req: "GET %s HTTP/1.1\r\nHost: h\r\nX-A: a\x7fb\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "NUL in name", req: "GET %s HTTP/1.1\r\nHost: h\r\nX\x00A: a\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "parenthesis in name", req: "GET %s HTTP/1.1\r\nHost: h\r\nX(A): a\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "slash in name", req: "GET %s HTTP/1.1\r\nHost: h\r\nX/A: a\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "non-ASCII name", req: "GET %s HTTP/1.1\r\nHost: h\r\nX\xe9: a\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "line without colon", req: "GET %s HTTP/1.1\r\nHost: h\r\nXA\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "obs-fold with tab", req: "GET %s HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n\r\n", code: 400,
			ours: "Waitress unfolds obs-fold"},
		{name: "request line of 300 kB", req: "GET %s" + strings.Repeat("a", 300000) + " HTTP/1.1\r\nHost: h\r\n\r\n", code: 431, detail: "exceeds max_header of 262144", big: true},
		{name: "30000 header fields", req: "GET %s HTTP/1.1\r\nHost: h\r\n" + many.String() + "\r\n", code: 431, big: true},
		{name: "1001 header fields", req: "GET %s HTTP/1.1\r\nHost: h\r\n" + justOver.String() + "\r\n", code: 431, big: true,
			ours: "Waitress has no limit on the number of fields, only on the head's size"},
		{name: "two Host fields", req: "GET %s HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", code: 400,
			ours: "Waitress joins them into HTTP_HOST 'a, b'"},
		{name: "Host with a space", req: "GET %s HTTP/1.1\r\nHost: a b\r\n\r\n", code: 400, ours: "Waitress does not check Host"},
		{name: "Host with a slash", req: "GET %s HTTP/1.1\r\nHost: a/b\r\n\r\n", code: 400, ours: "Waitress does not check Host"},
		{name: "Host with userinfo", req: "GET %s HTTP/1.1\r\nHost: u@a\r\n\r\n", code: 400, ours: "Waitress does not check Host"},
		{name: "Host with a bad port", req: "GET %s HTTP/1.1\r\nHost: a:xx\r\n\r\n", code: 400, ours: "Waitress does not check Host"},
		{name: "Host with a bad IPv6 literal", req: "GET %s HTTP/1.1\r\nHost: [::zz]\r\n\r\n", code: 400, ours: "Waitress does not check Host"},
	})
}

// TestHostileRequestLine: malformed methods, targets and versions.
func TestHostileRequestLine(t *testing.T) {
	t.Parallel()
	s, calls := callsServer(t)
	runHostile(t, s, calls, []hostileCase{
		{name: "method with @", req: "G@T %s HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, detail: "Start line is invalid"},
		{name: "mixed-case method", req: "Get %s HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, detail: `Malformed HTTP method "Get"`},
		{name: "empty method", req: " %s HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, detail: "Start line is invalid"},
		{name: "two spaces", req: "GET  %s HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, detail: "Start line is invalid"},
		{name: "tab separator", req: "GET\t%s HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, detail: "Start line is invalid"},
		{name: "lower-case protocol", req: "GET %s http/1.1\r\nHost: h\r\n\r\n", code: 400, detail: "Start line is invalid"},
		{name: "HTTP/01.1", req: "GET %s HTTP/01.1\r\nHost: h\r\n\r\n", code: 400, detail: "Start line is invalid"},
		{name: "HTTP/1.10", req: "GET %s HTTP/1.10\r\nHost: h\r\n\r\n", code: 400, detail: "Start line is invalid"},
		{name: "TLS ClientHello", req: "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + strings.Repeat("\x00", 40) + "%s\r\n\r\n", code: 400, detail: "Start line is invalid"},
		{name: "trailing space after version", req: "GET %s HTTP/1.1 \r\nHost: h\r\n\r\n", code: 400,
			ours: "Waitress strips trailing whitespace from the request line"},
		{name: "HTTP/3.0", req: "GET %s HTTP/3.0\r\nHost: h\r\n\r\n", code: 505, ours: "Waitress serves any version as HTTP/1.0"},
		{name: "HTTP/0.9 with a version", req: "GET %s HTTP/0.9\r\nHost: h\r\n\r\n", code: 505, ours: "Waitress serves any version as HTTP/1.0"},
		{name: "HTTP/0.9 simple request", req: "GET %s\r\n", code: 400, ours: "Waitress waits for a header block"},
		{name: "HTTP/2 preface", req: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", code: 505, ours: "Waitress serves PRI * as HTTP/1.0"},
		{name: "asterisk-form with GET", req: "GET * HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, ours: "Waitress serves GET *"},
		{name: "authority-form with CONNECT", req: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", code: 400, ours: "Waitress passes CONNECT to the app"},
		{name: "authority-form with GET", req: "GET example.com:80 HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, ours: "Waitress reads it as a scheme"},
		{name: "origin-form without slash", req: "GET p%s HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, ours: "Waitress serves a relative path"},
		{name: "absolute-form with unknown scheme", req: "GET javascript://example.com%s HTTP/1.1\r\nHost: example.com\r\n\r\n", code: 400, ours: "Waitress accepts any scheme"},
		{name: "absolute-form without host", req: "GET http://%s HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, ours: "Waitress accepts an empty authority"},
		{name: "absolute-form with userinfo", req: "GET http://u:p@example.com%s HTTP/1.1\r\nHost: example.com\r\n\r\n", code: 400, ours: "Waitress accepts userinfo"},
		{name: "NUL in target", req: "GET %s\x00x HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, ours: "Waitress passes control characters to the app"},
		{name: "control character in target", req: "GET %s\x01x HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, ours: "Waitress passes control characters to the app"},
		{name: "DEL in target", req: "GET %s\x7fx HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, ours: "Waitress passes control characters to the app"},
		{name: "whitespace line before the request", req: " \r\nGET %s HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, ours: "Waitress strips leading whitespace"},
	})
}

// TestHostileTolerated covers odd but valid requests, which both servers serve: each must reach
// the application once with the right body, and the connection must stay usable.
func TestHostileTolerated(t *testing.T) {
	t.Parallel()
	s, calls := callsServer(t)
	const te = "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
	tests := []struct {
		name, req, body string
		path            string // PATH_INFO the app must see; default the case's path
	}{
		{name: "TE in mixed case", req: te + "Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", body: "ok hello"},
		{name: "TE with tabs", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\tchunked\t\r\n\r\n5\r\nhello\r\n0\r\n\r\n", body: "ok hello"},
		{name: "TE with an empty list element", req: te + ",chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", body: "ok hello"},
		{name: "chunk extension", req: te + "chunked\r\n\r\n5;foo=bar\r\nhello\r\n0\r\n\r\n", body: "ok hello"},
		{name: "quoted chunk extension", req: te + "chunked\r\n\r\n5;a=\"b\\\"c\"\r\nhello\r\n0\r\n\r\n", body: "ok hello"},
		{name: "trailer field", req: te + "chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", body: "ok hello"},
		{name: "Content-Length in a trailer is not framing", req: te + "chunked\r\n\r\n5\r\nhello\r\n0\r\nContent-Length: 100\r\n\r\n", body: "ok hello"},
		// Fields with underscores are dropped (Waitress), so they cannot frame the body.
		{name: "Content_Length is dropped", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent_Length: 5\r\n\r\n", body: "ok "},
		{name: "Transfer_Encoding is dropped", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer_Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc", body: "ok abc"},
		{name: "empty lines before the request", req: "\r\n\r\nGET %s HTTP/1.1\r\nHost: h\r\n\r\n", body: "ok "},
		{name: "unknown method", req: "FOO %s HTTP/1.1\r\nHost: h\r\n\r\n", body: "ok "},
		{name: "invalid percent-escape kept as is", req: "GET %s%zz HTTP/1.1\r\nHost: h\r\n\r\n", body: "ok ", path: "%s%zz"},
		{name: "truncated percent-escape kept as is", req: "GET %s%2 HTTP/1.1\r\nHost: h\r\n\r\n", body: "ok ", path: "%s%2"},
		{name: "GET with a body", req: "GET %s HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", body: "ok hello"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := fmt.Sprintf("/tolerated-%d", i)
			want := path
			if tt.path != "" {
				want = strings.ReplaceAll(tt.path, "%s", path)
			}
			before := len(callLines(calls))
			c := dialRaw(t, s)
			c.send(strings.ReplaceAll(tt.req, "%s", path))
			r := c.mustRead("POST")
			if r.Code != 200 || string(r.Body) != tt.body {
				t.Fatalf("want 200 %q, got %v", tt.body, r)
			}
			c.send(get(path + "-next"))
			if r2 := c.mustRead("GET"); r2.Code != 200 || string(r2.Body) != "ok " {
				t.Fatalf("next request on the connection: %v", r2)
			}
			got := callLines(calls)[before:]
			if len(got) != 2 || !strings.HasSuffix(got[0], " "+want) || !strings.HasSuffix(got[1], " "+path+"-next") {
				t.Fatalf("app calls %q, want %s then %s-next", got, want, path)
			}
		})
	}
}

// TestHostileSmuggling sends second requests hidden inside bodies or behind refused framing:
// none may ever be parsed as a request.
func TestHostileSmuggling(t *testing.T) {
	t.Parallel()
	s, calls := callsServer(t)
	hidden := func(n int) string { return fmt.Sprintf("GET /smuggled-%d HTTP/1.1\r\nHost: h\r\n\r\n", n) }

	t.Run("request inside a Content-Length body", func(t *testing.T) {
		c := dialRaw(t, s)
		inner := hidden(1)
		c.send(fmt.Sprintf("POST /carrier-1 HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s", len(inner), inner) + get("/after-1"))
		if r := c.mustRead("POST"); r.Code != 200 || string(r.Body) != "ok "+inner {
			t.Fatalf("carrier: %v", r)
		}
		if r := c.mustRead("GET"); r.Code != 200 || string(r.Body) != "ok " {
			t.Fatalf("request after the carrier: %v", r)
		}
	})
	t.Run("request inside a chunked body", func(t *testing.T) {
		c := dialRaw(t, s)
		inner := "0\r\n\r\n" + hidden(2)
		c.send("POST /carrier-2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(inner) + "0\r\n\r\n" + get("/after-2"))
		if r := c.mustRead("POST"); r.Code != 200 || string(r.Body) != "ok "+inner {
			t.Fatalf("carrier: %v", r)
		}
		if r := c.mustRead("GET"); r.Code != 200 || string(r.Body) != "ok " {
			t.Fatalf("request after the carrier: %v", r)
		}
	})
	refused := []struct {
		name, req, ours string
		code            int
	}{
		{name: "pipelined after conflicting Content-Lengths", code: 400,
			req: "POST /carrier-3 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello" + hidden(3)},
		{name: "pipelined after an oversized Content-Length", code: 413,
			req: "POST /carrier-4 HTTP/1.1\r\nHost: h\r\nContent-Length: 9999999999\r\n\r\n" + hidden(4)},
		{name: "pipelined after a bad chunk", code: 400,
			req: "POST /carrier-5 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX" + hidden(5)},
		{name: "pipelined after a bad header", code: 400,
			req: "GET /carrier-6 HTTP/1.1\r\nHost: h\r\nX Y: 1\r\n\r\n" + hidden(6)},
		{name: "pipelined after an unsupported coding", code: 501,
			req: "POST /carrier-7 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n" + hidden(7)},
		// TE.CL desync: a front end framing by Content-Length forwards the whole thing as one
		// request; a back end framing by chunked sees an empty body and then a second request.
		{name: "TE.CL desync", code: 400, ours: "Waitress frames by chunked and serves the hidden request",
			req: fmt.Sprintf("POST /carrier-8 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n0\r\n\r\n%s", 5+len(hidden(8)), hidden(8))},
		// CL.TE desync the other way round.
		{name: "CL.TE desync", code: 400, ours: "Waitress frames by chunked and serves the hidden request",
			req: "POST /carrier-9 HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX" + hidden(9)},
		{name: "HTTP/1.0 with TE and CL", code: 400, ours: "Waitress ignores Transfer-Encoding in HTTP/1.0",
			req: fmt.Sprintf("POST /carrier-10 HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n%s", hidden(10))},
		{name: "obfuscated TE with CL", code: 400, ours: "Waitress accepts a doubled chunked coding",
			req: fmt.Sprintf("POST /carrier-11 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n0\r\n\r\n%s", 5+len(hidden(11)), hidden(11))},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ours != "" {
				oursOnly(t, tt.ours)
			}
			c := dialRaw(t, s)
			c.send(tt.req)
			checkRejected(t, c, tt.code, "")
		})
	}
	t.Run("no hidden request reached the app", func(t *testing.T) {
		time.Sleep(100 * time.Millisecond)
		for _, l := range callLines(calls) {
			if strings.Contains(l, "/smuggled") {
				t.Errorf("a hidden request was parsed and served: %q", l)
			}
		}
	})
}
