package http1

import (
	"testing"
)

var chunkedTests = []struct {
	in     string
	body   string
	used   int // bytes consumed; -1 means len(in)
	status int // 0: accepted
	detail string
}{
	{"5\r\nhello\r\n0\r\n\r\n", "hello", -1, 0, ""},
	{"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "hello world", 26, 0, ""},
	{"A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n", "01234567890123456789", -1, 0, ""},
	{"005\r\nhello\r\n000\r\n\r\n", "hello", -1, 0, ""},
	{"0\r\n\r\n", "", -1, 0, ""},
	{"5;a\r\nhello\r\n0;b=c;d=\"q \\\" \t\"\r\n\r\n", "hello", -1, 0, ""},
	{"5\r\nhello\r\n0\r\nX-Trailer: 1\r\nOther:\r\n\r\nnext", "hello", 37, 0, ""},
	// Sizes: hex only, no sign, prefix or whitespace (Waitress: ^[0-9a-fA-F]+$).
	{"0x5\r\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkSize},
	{"-5\r\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkSize},
	{" 5\r\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkSize},
	{"5 \r\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkSize},
	{"g\r\n", "", 0, 400, msgChunkSize},
	{"\r\n5\r\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkSize},
	{"5\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkSize},
	{"5\r\nhello\r\n\r\n0\r\n\r\n", "hello", 0, 400, msgChunkSize},
	// Extensions: token[=token/quoted-string], no whitespace (Waitress's CHUNK_EXT_RE).
	{"5;\r\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkExt},
	{"5; a\r\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkExt},
	{"5;a=\r\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkExt},
	{"5;a=b c\r\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkExt},
	{"5;a=\"b\r\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkExt},
	{"5;a=\"b\"c\r\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkExt},
	{"5;a\nhello\r\n0\r\n\r\n", "", 0, 400, msgChunkExt},
	// Data must end with CRLF.
	{"5\r\nhelloX\r\n0\r\n\r\n", "hello", 0, 400, msgChunkEnd},
	{"5\r\nhello\n0\r\n\r\n", "hello", 0, 400, msgChunkEnd},
	{"5\r\nhello\r0\r\n\r\n", "hello", 0, 400, msgChunkEnd},
	// Trailers are checked like header fields.
	{"0\r\nX : 1\r\n\r\n", "", 0, 400, msgTrailer},
	{"0\r\n folded\r\n\r\n", "", 0, 400, msgTrailer},
	{"0\r\nX: a\x00\r\n\r\n", "", 0, 400, msgTrailer},
	{"0\r\nX: 1\n\r\n", "", 0, 400, msgTrailer},
	{"0\r\n\n", "", 0, 400, msgTrailer},
	// Sizes that reach max_request_body_size (100 here) are refused before the data.
	{"64\r\n", "", 0, 413, "exceeds max_body of 100"},
	{"63\r\n", "", -1, 0, ""},
	{"FFFFFFFFFFFFFFFFFFFFFFFF\r\n", "", 0, 413, "exceeds max_body of 100"},
}

func decodeAll(in []byte, max int64, step int) (body []byte, used int, done bool, err error) {
	var d ChunkedDecoder
	d.Reset(max)
	for used < len(in) && !done {
		end := min(used+step, len(in))
		var n int
		body, n, done, err = d.Decode(body, in[used:end])
		used += n
		if err != nil {
			return body, used, done, err
		}
		if n < end-used && !done {
			panic("consumed less without finishing")
		}
	}
	return body, used, done, nil
}

func TestChunkedDecoder(t *testing.T) {
	for _, tt := range chunkedTests {
		for _, step := range []int{1, 2, 3, 7, len(tt.in)} {
			body, used, done, err := decodeAll([]byte(tt.in), 100, step)
			if tt.status != 0 {
				e, ok := err.(*Error)
				if !ok || e.Status != tt.status || e.Detail != tt.detail {
					t.Errorf("%q step %d: got %v, want %d %s", tt.in, step, err, tt.status, tt.detail)
				}
				continue
			}
			wantUsed := tt.used
			if wantUsed < 0 {
				wantUsed = len(tt.in)
			}
			wantDone := tt.in != "63\r\n"
			if err != nil || string(body) != tt.body || used != wantUsed || done != wantDone {
				t.Errorf("%q step %d: got body %q used %d done %v err %v; want %q %d %v", tt.in, step,
					body, used, done, err, tt.body, wantUsed, wantDone)
			}
		}
	}
}

func TestChunkedDecoderLimits(t *testing.T) {
	// The decoded total counts across chunks: 60 + 40 reaches 100.
	in := "3c\r\n" + string(make([]byte, 60)) + "\r\n28\r\n"
	_, _, _, err := decodeAll([]byte(in), 100, 5)
	if e, ok := err.(*Error); !ok || e.Status != 413 {
		t.Errorf("60+40 bytes with max 100: got %v, want 413", err)
	}
	long := "5;" + string(repeatByte('a', maxChunkLine)) + "\r\n"
	if _, _, _, err := decodeAll([]byte(long), 1000, 64); err == nil || err.(*Error).Detail != msgChunkLineLen {
		t.Errorf("long size line: got %v", err)
	}
	trailer := "0\r\n" + "X: " + string(repeatByte('a', maxTrailerBytes)) + "\r\n\r\n"
	if _, _, _, err := decodeAll([]byte(trailer), 1000, 4096); err == nil || err.(*Error).Detail != msgTrailerLen {
		t.Errorf("long trailer: got %v", err)
	}
	// After an error, the decoder keeps failing; after done, it consumes nothing.
	var d ChunkedDecoder
	d.Reset(100)
	d.Decode(nil, []byte("z"))
	if _, n, _, err := d.Decode(nil, []byte("0\r\n\r\n")); err == nil || n != 0 {
		t.Errorf("after error: n=%d err=%v", n, err)
	}
	d.Reset(100)
	d.Decode(nil, []byte("0\r\n\r\n"))
	if _, n, done, err := d.Decode(nil, []byte("0\r\n\r\n")); n != 0 || !done || err != nil {
		t.Errorf("after done: n=%d done=%v err=%v", n, done, err)
	}
}

func repeatByte(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}
