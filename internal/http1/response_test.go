package http1

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestResponseHeadMatchesWaitress(t *testing.T) {
	date := AppendDate(nil, time.Unix(0, 0))
	for _, c := range waitressHeads {
		h := ResponseHead{
			Major: 1, Minor: c.minor, ReqConnection: c.reqConn, Status: c.status, Headers: c.headers,
			HasBody: true, ContentLength: c.cl, ContentLengthKnown: c.cl >= 0, Close: c.preClose,
			Date: date, Ident: c.ident,
		}
		got, chunked, closeConn, cl := h.Append([]byte("prefix"))
		// Waitress sorts the header lines by name; we keep the application's order. The same
		// lines must be there, and same-named headers in the same relative order.
		if !bytes.HasPrefix(got, []byte("prefix")) || sortedHead(string(got[6:])) != sortedHead(c.raw) {
			t.Errorf("%+v:\n got %q\nwant %q (in any order)", c, got[6:], c.raw)
		}
		if chunked != c.chunked || closeConn != c.close {
			t.Errorf("%+v: chunked=%v close=%v, want %v %v", c, chunked, closeConn, c.chunked, c.close)
		}
		// The returned length is what the head advertises.
		wantCL := int64(-1)
		if i := bytes.Index(got, []byte("Content-Length: ")); i >= 0 {
			v := got[i+16 : i+16+bytes.IndexByte(got[i+16:], '\r')]
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				wantCL = n
			}
		}
		if cl != wantCL {
			t.Errorf("%+v: contentLength=%d, want %d", c, cl, wantCL)
		}
	}
}

// sortedHead sorts a head's header lines stably by name, as Waitress writes them.
func sortedHead(raw string) string {
	lines := strings.Split(strings.TrimSuffix(raw, "\r\n\r\n"), "\r\n")
	hs := lines[1:]
	sort.SliceStable(hs, func(i, j int) bool {
		return strings.SplitN(hs[i], ":", 2)[0] < strings.SplitN(hs[j], ":", 2)[0]
	})
	return strings.Join(lines, "\r\n")
}

func TestResponseHeadKeepsOrder(t *testing.T) {
	h := ResponseHead{
		Major: 1, Minor: 1, Status: "200 OK", HasBody: true, Ident: "waitress",
		Headers: [][2]string{{"x-b", "2"}, {"Set-Cookie", "b=2"}, {"X-A", "1"}, {"set-cookie", "a=1"}, {"Content-Length", "0"}},
		Date:    []byte("Thu, 01 Jan 1970 00:00:00 GMT"),
	}
	got, _, _, _ := h.Append(nil)
	want := "HTTP/1.1 200 OK\r\nX-B: 2\r\nSet-Cookie: b=2\r\nX-A: 1\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\n" +
		"Server: waitress\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n"
	if string(got) != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestResponseHeadHEAD(t *testing.T) {
	// A HEAD response keeps Waitress's head but carries no body, not even a last chunk.
	h := ResponseHead{Major: 1, Minor: 1, Status: "200 OK", Headers: [][2]string{{"Content-Length", "42"}},
		Date: []byte("D"), Ident: "waitress"}
	out, chunked, closeConn, cl := h.Append(nil)
	if string(out) != "HTTP/1.1 200 OK\r\nContent-Length: 42\r\nServer: waitress\r\nDate: D\r\n\r\n" ||
		chunked || closeConn || cl != 42 {
		t.Errorf("HEAD with length: %q %v %v %d", out, chunked, closeConn, cl)
	}
	h.Headers = nil
	out, chunked, closeConn, cl = h.Append(nil)
	if !bytes.Contains(out, []byte("Transfer-Encoding: chunked\r\n")) || chunked || !closeConn || cl != -1 {
		t.Errorf("HEAD without length: %q %v %v %d", out, chunked, closeConn, cl)
	}
}

func TestResponseHeadNoAllocs(t *testing.T) {
	h := ResponseHead{Major: 1, Minor: 1, Status: "200 OK", HasBody: true,
		Headers: [][2]string{{"content-type", "text/html; charset=utf-8"}, {"Content-Length", "1234"}, {"x-frame-options", "DENY"}},
		Date:    AppendDate(nil, time.Now()), Ident: "waitress"}
	buf := make([]byte, 0, 512)
	if a := testing.AllocsPerRun(100, func() { h.Append(buf[:0]) }); a != 0 {
		t.Errorf("Append allocates %v times", a)
	}
}

func TestAppendChunk(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{1, "1\r\n"}, {15, "F\r\n"}, {16, "10\r\n"}, {0xabc, "ABC\r\n"}} {
		data := bytes.Repeat([]byte("x"), tt.n)
		got := AppendChunk([]byte("p"), data)
		if want := "p" + tt.want + string(data) + "\r\n"; string(got) != want {
			t.Errorf("AppendChunk(%d bytes) = %q...", tt.n, got[:min(len(got), 10)])
		}
	}
	if got := AppendChunk([]byte("p"), nil); string(got) != "p" {
		t.Errorf("AppendChunk(empty) = %q, want nothing appended", got)
	}
	if got := AppendLastChunk([]byte("p")); string(got) != "p0\r\n\r\n" {
		t.Errorf("AppendLastChunk = %q", got)
	}
	// What we write, our decoder reads back.
	var d ChunkedDecoder
	d.Reset(1 << 20)
	enc := AppendLastChunk(AppendChunk(AppendChunk(nil, []byte("hello ")), bytes.Repeat([]byte("w"), 300)))
	body, n, done, err := d.Decode(nil, enc)
	if err != nil || !done || n != len(enc) || string(body) != "hello "+string(bytes.Repeat([]byte("w"), 300)) {
		t.Errorf("round trip: %q %d %v %v", body, n, done, err)
	}
}

func TestAppendDate(t *testing.T) {
	tm := time.Date(1994, 11, 6, 8, 49, 37, 0, time.FixedZone("X", 3600))
	if got := string(AppendDate(nil, tm)); got != "Sun, 06 Nov 1994 07:49:37 GMT" {
		t.Errorf("AppendDate = %q", got)
	}
}

func TestResponseHeadKnownLengthNoAllocs(t *testing.T) {
	h := ResponseHead{Major: 1, Minor: 1, Status: "200 OK", HasBody: true, ContentLength: 123456, ContentLengthKnown: true,
		Headers: [][2]string{{"content-type", "text/html"}}, Date: []byte("D"), Ident: "waitress"}
	buf := make([]byte, 0, 512)
	if a := testing.AllocsPerRun(100, func() { h.Append(buf[:0]) }); a != 0 {
		t.Errorf("Append allocates %v times", a)
	}
	out, _, _, cl := h.Append(nil)
	if cl != 123456 || !bytes.Contains(out, []byte("\r\nContent-Length: 123456\r\n")) {
		t.Errorf("got %q, %d", out, cl)
	}
}
