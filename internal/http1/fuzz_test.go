package http1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"
)

// FuzzParseHead checks ParseHead against net/http's request reader. Where both accept, they must
// agree on method, target, header fields and body framing. Where they disagree, ours must be the
// one refusing, except for these cases, where ours accepts on purpose:
//
//   - A '%' not followed by two hex digits in the path: Waitress accepts it and keeps it
//     literally in PATH_INFO (RFC 9112 says SHOULD 400, not MUST); net/http refuses.
//   - A "#fragment" in the target: Waitress drops it; net/http's ParseRequestURI does not know
//     fragments and, in absolute-form, takes '#' as part of the host name.
//   - Transfer-Encoding split over several lines or with empty list elements, e.g.
//     "chunked," or ", chunked": RFC 9110 §5.6.1 says to ignore empty elements, and Waitress
//     joins field lines, so it is still exactly one chunked; net/http wants a single "chunked".
//
// Every accepted head must also parse the same when fed with any prefix first.
func FuzzParseHead(f *testing.F) {
	for _, tt := range acceptTests {
		f.Add([]byte(tt.in))
	}
	for _, tt := range rejectTests {
		f.Add([]byte(tt.in))
	}
	f.Add([]byte(browserRequest))
	lim := Limits{MaxHeaderBytes: 8192, MaxBodyBytes: 1 << 40}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r, p Request
		n, err := ParseHead(data, lim, &r)
		if n < 0 || n > len(data) || n > 0 && err != nil {
			t.Fatalf("ParseHead returned n=%d err=%v for %d bytes", n, err, len(data))
		}
		// A prefix never gives a different answer, only "need more".
		for _, cut := range []int{len(data) / 2, len(data) - 1} {
			if cut < 0 {
				continue
			}
			pn, perr := ParseHead(data[:cut], lim, &p)
			if perr != nil && (err == nil || perr.Error() != err.Error()) {
				t.Fatalf("prefix %d: %v; whole: n=%d %v", cut, perr, n, err)
			}
			if pn != 0 && pn != n {
				t.Fatalf("prefix %d parsed n=%d, whole n=%d", cut, pn, n)
			}
		}
		if err != nil || n == 0 {
			return
		}
		skip := 0
		for skip+1 < n && data[skip] == '\r' && data[skip+1] == '\n' {
			skip += 2
		}
		head := data[skip:n]
		req, herr := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if herr != nil {
			if acceptedOnPurpose(&r, herr) {
				return
			}
			t.Fatalf("we accept, net/http refuses (%v):\n%q", herr, head)
		}
		if string(r.Method) != req.Method || string(r.Target) != req.RequestURI {
			t.Fatalf("method/target %q %q, net/http %q %q", r.Method, r.Target, req.Method, req.RequestURI)
		}
		if req.ProtoMajor != 1 || (req.ProtoMinor == 0) != (r.Minor == 0) {
			t.Fatalf("version 1.%d, net/http %d.%d", r.Minor, req.ProtoMajor, req.ProtoMinor)
		}
		if req.Close == r.KeepAlive {
			t.Fatalf("KeepAlive %v, net/http Close %v", r.KeepAlive, req.Close)
		}
		// Framing.
		netChunked := len(req.TransferEncoding) > 0
		switch {
		case r.Chunked != netChunked:
			t.Fatalf("chunked %v, net/http %v", r.Chunked, req.TransferEncoding)
		case r.Chunked:
		case r.ContentLength < 0 && req.ContentLength != 0, r.ContentLength >= 0 && req.ContentLength != r.ContentLength:
			t.Fatalf("Content-Length %d, net/http %d", r.ContentLength, req.ContentLength)
		}
		if r.Host != nil && r.Authority == nil && string(r.Host) != req.Host {
			t.Fatalf("Host %q, net/http %q", r.Host, req.Host)
		}
		// Header fields, with net/http's canonical names, minus what either side handles specially.
		ours := map[string][]string{}
		for _, h := range r.Headers {
			k := textproto.CanonicalMIMEHeaderKey(string(h.Name))
			ours[k] = append(ours[k], string(h.Value))
		}
		theirs := map[string][]string{}
		for k, v := range req.Header {
			if !strings.Contains(k, "_") {
				theirs[k] = v
			}
		}
		for _, m := range []map[string][]string{ours, theirs} {
			delete(m, "Host")
			delete(m, "Content-Length")
			delete(m, "Transfer-Encoding")
			if _, ok := ours["Pragma"]; ok {
				delete(m, "Cache-Control") // net/http adds one for "Pragma: no-cache"
			}
		}
		if len(ours) != len(theirs) {
			t.Fatalf("headers %q, net/http %q", ours, theirs)
		}
		for k, v := range ours {
			if !slices.Equal(v, theirs[k]) {
				t.Fatalf("header %q: %q, net/http %q", k, v, theirs[k])
			}
		}
	})
}

// acceptedOnPurpose reports the requests FuzzParseHead documents as accepted by us and refused
// by net/http.
func acceptedOnPurpose(r *Request, herr error) bool {
	pathPart := r.Target
	if q := bytes.IndexByte(pathPart, '?'); q >= 0 {
		pathPart = pathPart[:q]
	}
	if bytes.IndexByte(r.Target, '#') >= 0 {
		return true
	}
	if _, err := DecodePath(pathPart, nil); err != nil {
		return true
	}
	msg := herr.Error()
	if r.Chunked && (strings.Contains(msg, "too many transfer encodings") ||
		strings.Contains(msg, "unsupported transfer encoding")) {
		return true
	}
	return false
}

// FuzzChunked checks ChunkedDecoder against net/http's chunked body reader. When we decode a
// body, net/http must read the same bytes and stop at the same place; when we need more input,
// net/http must not have found a whole body. We may refuse bodies net/http takes (whitespace
// after the size, unchecked extensions). net/http refuses some bodies we take:
//   - more than 16 hex digits in a size ("0000000000000000001"): leading zeros are valid and
//     Waitress takes them;
//   - "too much non-data": a heuristic against tiny chunks, not a syntax rule; our own bound is
//     max_request_body_size plus the line limits.
//
// The split point is fuzzed too: the decoder must give the same answer for any split.
func FuzzChunked(f *testing.F) {
	for _, tt := range chunkedTests {
		f.Add([]byte(tt.in), uint16(3))
	}
	f.Add([]byte("4\r\nWiki\r\n5;a=\"\\x\"\r\npedia\r\n0\r\nT: v\r\n\r\n"), uint16(9))
	const max = 1 << 20
	f.Fuzz(func(t *testing.T, in []byte, split uint16) {
		var d ChunkedDecoder
		d.Reset(max)
		body, used, done, err := d.Decode(nil, in)
		if used > len(in) || (done && err != nil) {
			t.Fatalf("used=%d done=%v err=%v", used, done, err)
		}
		// Same result when split in two.
		cut := int(split) % (len(in) + 1)
		var d2 ChunkedDecoder
		d2.Reset(max)
		body2, used2, done2, err2 := d2.Decode(nil, in[:cut])
		if err2 == nil && !done2 {
			var n int
			body2, n, done2, err2 = d2.Decode(body2, in[cut:])
			used2 += n
		}
		if !bytes.Equal(body, body2) || used != used2 || done != done2 || (err == nil) != (err2 == nil) ||
			err != nil && err.Error() != err2.Error() {
			t.Fatalf("split at %d: %q %d %v %v; whole: %q %d %v %v", cut, body2, used2, done2, err2, body, used, done, err)
		}
		if err != nil {
			return
		}

		src := bytes.NewReader(append([]byte("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), in...))
		br := bufio.NewReaderSize(src, 1<<16)
		req, herr := http.ReadRequest(br)
		if herr != nil {
			t.Fatal(herr)
		}
		got, rerr := io.ReadAll(req.Body)
		if !done {
			if rerr == nil {
				t.Fatalf("net/http read a whole body %q from %q; we want more input", got, in)
			}
			return
		}
		if rerr != nil {
			msg := rerr.Error()
			if strings.Contains(msg, "too much non-data") || strings.Contains(msg, "chunk length too large") {
				return
			}
			t.Fatalf("we decode %q, net/http fails: %v\n%q", body, rerr, in)
		}
		if !bytes.Equal(got, body) {
			t.Fatalf("body %q, net/http %q", body, got)
		}
		if goUsed := len(in) - br.Buffered() - src.Len(); goUsed != used {
			t.Fatalf("consumed %d bytes, net/http %d: %q", used, goUsed, in)
		}
	})
}
