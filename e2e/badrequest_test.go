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

// TestBadRequests sends malformed requests over a raw socket. Each must get Waitress's error
// status and page, the connection must close, and the application must never run.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	calls := filepath.Join(t.TempDir(), "calls")
	s := startServer(t, serverConfig{app: "calls_app:app", env: []string{"E2E_CALLS_FILE=" + calls}})

	type badCase struct {
		name   string
		req    string // %s is replaced by a path unique to the case
		code   int    // 0: the server may also close without answering (ours only)
		detail string // Waitress's explanation in the error page ("" for ours-only cases)
		ours   string // non-empty: ours only, and why Waitress differs
	}
	tests := []badCase{
		{name: "two Content-Lengths", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", code: 400, detail: "Content-Length is invalid"},
		{name: "two different Content-Lengths", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", code: 400, detail: "Content-Length is invalid"},
		{name: "negative Content-Length", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", code: 400, detail: "Content-Length is invalid"},
		{name: "signed Content-Length", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello", code: 400, detail: "Content-Length is invalid"},
		{name: "bad chunk size", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", code: 400, detail: "Invalid chunk size"},
		{name: "chunk without CRLF", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", code: 400, detail: "Chunk not properly terminated"},
		{name: "unsupported transfer-coding", req: "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", code: 501, detail: "Transfer-Encoding requested is not supported."},
		{name: "whitespace before colon", req: "GET %s HTTP/1.1\r\nHost : h\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "space in field name", req: "GET %s HTTP/1.1\r\nHost: h\r\nX Y: a\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "empty field name", req: "GET %s HTTP/1.1\r\nHost: h\r\n: a\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "NUL in field value", req: "GET %s HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", code: 400, detail: "Invalid header"},
		{name: "bare LF inside the header block", req: "GET %s HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", code: 400, detail: "Bare CR or LF found in header line"},
		{name: "bad HTTP version", req: "GET %s HTTP/1.x\r\nHost: h\r\n\r\n", code: 400, detail: "Start line is invalid"},
		{name: "lowercase method", req: "get %s HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, detail: `Malformed HTTP method "get"`},
		{name: "raw UTF-8 in target", req: "GET %s/caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", code: 400, detail: "Bad URI"},
		{name: "body over max_request_body_size", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999\r\n\r\n", code: 413, detail: "exceeds max_body of 1073741824"},

		// Waitress 3.0.2 lets these through (TE wins over CL; the folded line is joined; a
		// request line without a version is served as HTTP/1.0) or waits forever (bare-LF
		// line ends); waitress-go follows RFC 9112 and rejects them: they are the raw material
		// of request smuggling.
		{name: "Content-Length and Transfer-Encoding", req: "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", code: 400, ours: "Waitress accepts CL+TE"},
		{name: "obs-fold", req: "GET %s HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n", code: 400, ours: "Waitress unfolds obs-fold"},
		{name: "bare LF line ends", req: "GET %s HTTP/1.1\nHost: h\n\n", code: 400, ours: "Waitress waits for CRLF CRLF until its channel timeout"},
		{name: "HTTP/0.9 request line", req: "GET %s\r\n\r\n", code: 0, ours: "Waitress serves a version-less request line as HTTP/1.0"},
		{name: "HTTP/2.0 in an HTTP/1 request line", req: "GET %s HTTP/2.0\r\nHost: h\r\n\r\n", code: 0, ours: "Waitress serves any other version as HTTP/1.0"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ours != "" {
				oursOnly(t, tt.ours)
			}
			path := fmt.Sprintf("/bad-%d", i)
			c := dialRaw(t, s)
			c.send(strings.ReplaceAll(tt.req, "%s", path))
			checkRejected(t, c, tt.code, tt.detail)
			assertNotCalled(t, s, calls, path)
		})
	}

	t.Run("header block too large", func(t *testing.T) {
		// More than max_request_header_size (256 KiB). The server may answer before it has
		// read everything, so the client writes and reads at the same time.
		path := "/bad-big-header"
		c := dialRaw(t, s)
		go func() {
			req := "GET " + path + " HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("a", 300000) + "\r\n\r\n"
			c.c.SetWriteDeadline(time.Now().Add(rawTimeout))
			io.WriteString(c.c, req) // may fail once the server has answered and closed
		}()
		checkRejected(t, c, 431, "exceeds max_header of 262144")
		assertNotCalled(t, s, calls, path)
	})
}

// checkRejected reads an error response with Waitress's page for code (detail: the explanation
// it gives, if known) and checks that the connection closes. code 0 accepts any 4xx/5xx
// error page or a close without any response.
func checkRejected(t *testing.T, c *rawConn, code int, detail string) {
	t.Helper()
	r, err := c.read("GET")
	if code == 0 && err != nil && isClosedErr(err) && r == nil {
		return
	}
	if err != nil {
		t.Fatalf("want a %d response, got %v (%v)", code, err, r)
	}
	if code == 0 && r.Code >= 400 && r.Code < 600 {
		code = r.Code // any error status will do
	}
	if r.Code != code {
		t.Fatalf("status %d, want %d:\n%v", r.Code, code, r)
	}
	body := string(r.Body)
	if !strings.HasPrefix(body, r.Reason+"\r\n\r\n") || !strings.HasSuffix(body, "\r\n\r\n(generated by waitress)") {
		t.Errorf("body %q is not Waitress's error page for %q", body, r.Reason)
	}
	if detail != "" && !strings.Contains(body, detail) {
		t.Errorf("body %q lacks Waitress's explanation %q", body, detail)
	}
	if r.get("Connection") != "close" {
		t.Errorf("Connection = %q, want close", r.get("Connection"))
	}
	c.expectClosed(5 * time.Second)
}

// assertNotCalled checks that calls_app never saw path, and that the server still serves.
func assertNotCalled(t *testing.T, s *server, calls, path string) {
	t.Helper()
	resp, body := s.get(t, "/alive")
	if resp.StatusCode != 200 || string(body) != "ok " {
		t.Fatalf("server no longer answers after a bad request: %d %q", resp.StatusCode, body)
	}
	data, _ := os.ReadFile(calls)
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 2 && strings.HasPrefix(f[1], path) {
			t.Fatalf("the application was called for the bad request: %q", line)
		}
	}
}
