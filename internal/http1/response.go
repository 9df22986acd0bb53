package http1

import (
	"strconv"
	"time"
)

// ResponseHead describes a response head; Append writes it the way Waitress's
// Task.build_response_header does (task.py), including its framing and keep-alive decisions.
type ResponseHead struct {
	// Major and Minor are the request's HTTP version. Anything but 1.1 is answered as 1.0,
	// Waitress's fallback.
	Major, Minor int
	// ReqConnection is the request's Connection header (Request.ConnectionOption, or the raw
	// value); only its "close" and "keep-alive" options matter.
	ReqConnection string
	// Status is the status line text the application gave, e.g. "200 OK"; its reason phrase
	// is kept as given.
	Status string
	// Headers are the application's headers, in order. Names are re-capitalised
	// ("content-type" becomes "Content-Type", ASCII letters only) as Waitress does; the head
	// keeps their order (Waitress sorts them by name) and adds the server's headers after them.
	Headers [][2]string
	// HasBody is false when the request method forbids a response body (HEAD). The head is
	// the same either way, as in Waitress; Append then reports chunked as false because no
	// body bytes at all, not even a last chunk, may follow.
	HasBody bool
	// ContentLength is the body length the server knows without a Content-Length header from
	// the application (Waitress's Task.content_length: a single-item app_iter, a file wrapper,
	// an error page); it is used only when ContentLengthKnown.
	ContentLength      int64
	ContentLengthKnown bool
	// Close is set when the server already decided to close the connection after this
	// response (Waitress's set_close_on_finish before the head is built, as for error pages);
	// a "Connection: close" header is then sent unless Headers already has a Connection header.
	Close bool
	// Date is the preformatted IMF-fixdate (see AppendDate), sent unless the application gave
	// a non-empty Date header.
	Date []byte
	// Ident is the Server header value (--ident, "waitress" by default), sent unless the
	// application gave a non-empty Server header; then it goes in a Via header instead
	// ("waitress" if Ident is empty). An empty Ident sends no Server header.
	Ident string
}

type headerEntry struct {
	name, value string
	raw         []byte // the value when it is a byte slice (Date), to avoid a copy
	num         int64  // the value when it is a number (Content-Length), if isNum
	isNum       bool
}

// Append appends the head (status line, header lines, empty line) to dst and returns the
// framing it chose: chunked when the body must be sent chunk-encoded (HTTP/1.1, no
// Content-Length, a status that allows a body), close when the connection must be closed after
// the response, and contentLength, the advertised Content-Length or -1.
//
// Like Waitress, Append closes the connection after every response without a Content-Length
// (chunked ones included), and on HTTP/1.0 keeps it open only for "Connection: keep-alive"
// with a Content-Length, answering "Connection: Keep-Alive".
func (h *ResponseHead) Append(dst []byte) (out []byte, chunked bool, close bool, contentLength int64) {
	statusHasBody := !(len(h.Status) > 0 && h.Status[0] == '1' ||
		hasPrefix(h.Status, "204") || hasPrefix(h.Status, "304"))

	var stack [24]headerEntry
	ents := stack[:0]
	clPresent, clValue := false, "" // clValue is only tested for emptiness once set
	dateValue, serverValue := "", ""
	hasConnection := false
	for _, kv := range h.Headers {
		name := kv[0]
		switch {
		case foldEqual(name, "content-length"):
			if !statusHasBody {
				continue
			}
			clPresent, clValue = true, kv[1]
		case foldEqual(name, "date"):
			dateValue = kv[1]
		case foldEqual(name, "server"):
			serverValue = kv[1]
		case foldEqual(name, "connection"):
			hasConnection = true
		}
		ents = append(ents, headerEntry{name: name, value: kv[1]})
	}
	close = h.Close
	if close && !hasConnection {
		ents = append(ents, headerEntry{name: "Connection", value: "close"})
		hasConnection = true
	}
	setClose := func() {
		if !hasConnection {
			ents = append(ents, headerEntry{name: "Connection", value: "close"})
			hasConnection = true
		}
		close = true
	}

	contentLength = -1
	if clPresent {
		if n, err := strconv.ParseInt(clValue, 10, 64); err == nil && n >= 0 {
			contentLength = n
		}
	} else if h.ContentLengthKnown && statusHasBody {
		clPresent, clValue, contentLength = true, "set", h.ContentLength
		ents = append(ents, headerEntry{name: "Content-Length", num: h.ContentLength, isNum: true})
	}

	var reqClose, reqKeepAlive bool
	connectionOptions(h.ReqConnection, &reqClose, &reqKeepAlive)
	http11 := h.Major == 1 && h.Minor == 1
	if !http11 {
		if reqKeepAlive && !reqClose {
			if clValue == "" {
				setClose()
			} else {
				ents = append(ents, headerEntry{name: "Connection", value: "Keep-Alive"})
			}
		} else {
			setClose()
		}
	} else {
		if reqClose {
			setClose()
		}
		if clValue == "" {
			// RFC 9112: no Content-Length or Transfer-Encoding with 1xx, 204 or 304.
			if statusHasBody {
				ents = append(ents, headerEntry{name: "Transfer-Encoding", value: "chunked"})
				chunked = true
			}
			setClose()
		}
	}

	if serverValue == "" {
		if h.Ident != "" {
			ents = append(ents, headerEntry{name: "Server", value: h.Ident})
		}
	} else {
		via := h.Ident
		if via == "" {
			via = "waitress"
		}
		ents = append(ents, headerEntry{name: "Via", value: via})
	}
	if dateValue == "" {
		ents = append(ents, headerEntry{name: "Date", raw: h.Date})
	}

	// Unlike Waitress, which sorts the head by header name, the application's order is kept
	// (the server's own headers follow it): frameworks and proxies may rely on it.

	if http11 {
		dst = append(dst, "HTTP/1.1 "...)
	} else {
		dst = append(dst, "HTTP/1.0 "...)
	}
	dst = append(dst, h.Status...)
	dst = append(dst, '\r', '\n')
	for _, e := range ents {
		for i := 0; i < len(e.name); i++ {
			dst = append(dst, capitalizedAt(e.name, i))
		}
		dst = append(dst, ':', ' ')
		dst = append(dst, e.value...)
		dst = append(dst, e.raw...)
		if e.isNum {
			dst = strconv.AppendInt(dst, e.num, 10)
		}
		dst = append(dst, '\r', '\n')
	}
	dst = append(dst, '\r', '\n')

	if !h.HasBody {
		chunked = false
	}
	return dst, chunked, close, contentLength
}

// capitalizedAt is byte i of name as Waitress rewrites it:
// "-".join(part.capitalize() for part in name.split("-")).
func capitalizedAt(name string, i int) byte {
	c := name[i]
	if i == 0 || name[i-1] == '-' {
		if c >= 'a' && c <= 'z' {
			return c - ('a' - 'A')
		}
		return c
	}
	return lower(c)
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// foldEqual reports whether s equals the lower-case ASCII string t, ignoring ASCII case.
func foldEqual(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(s[i]) != t[i] {
			return false
		}
	}
	return true
}

// connectionOptions reads the close and keep-alive options of a Connection header value.
func connectionOptions(v string, close, keepAlive *bool) {
	for len(v) > 0 {
		var el string
		if c := indexByteString(v, ','); c < 0 {
			el, v = v, ""
		} else {
			el, v = v[:c], v[c+1:]
		}
		for len(el) > 0 && (el[0] == ' ' || el[0] == '\t') {
			el = el[1:]
		}
		for len(el) > 0 && (el[len(el)-1] == ' ' || el[len(el)-1] == '\t') {
			el = el[:len(el)-1]
		}
		if foldEqual(el, "close") {
			*close = true
		} else if foldEqual(el, "keep-alive") {
			*keepAlive = true
		}
	}
}

func indexByteString(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// AppendChunk appends data as one chunk: its size in upper-case hex (as Waitress writes it),
// CRLF, the data, CRLF. Empty data appends nothing, since an empty chunk would end the body.
func AppendChunk(dst, data []byte) []byte {
	if len(data) == 0 {
		return dst
	}
	dst = AppendChunkHeader(dst, int64(len(data)))
	dst = append(dst, data...)
	return append(dst, '\r', '\n')
}

// AppendChunkHeader appends the size line of an n-byte chunk ("1A2B\r\n"), in upper-case hex as
// Waitress writes it; the chunk data and its CRLF follow.
func AppendChunkHeader(dst []byte, n int64) []byte {
	dst = appendHexUpper(dst, uint64(n))
	return append(dst, '\r', '\n')
}

func appendHexUpper(dst []byte, n uint64) []byte {
	const digits = "0123456789ABCDEF"
	var b [16]byte
	i := len(b)
	for {
		i--
		b[i] = digits[n&0xf]
		n >>= 4
		if n == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// AppendLastChunk appends the last chunk and the empty trailer section: "0\r\n\r\n".
func AppendLastChunk(dst []byte) []byte {
	return append(dst, "0\r\n\r\n"...)
}

// AppendDate appends t as an HTTP-date in IMF-fixdate form ("Sun, 06 Nov 1994 08:49:37 GMT"),
// Waitress's build_http_date.
func AppendDate(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, "Mon, 02 Jan 2006 15:04:05 GMT")
}
