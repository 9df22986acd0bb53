package http1

import (
	"bytes"
	"strconv"
)

// Default limits, the Waitress defaults of the options of the same name.
const (
	DefaultMaxHeaderBytes = 262144     // max_request_header_size
	DefaultMaxBodyBytes   = 1073741824 // max_request_body_size
	// DefaultMaxHeaders bounds the number of header field lines. Waitress has no such limit;
	// it keeps a request made of tiny header lines from costing unbounded work.
	DefaultMaxHeaders = 1000
)

// Limits bound what the parser accepts.
type Limits struct {
	// MaxHeaderBytes is max_request_header_size: a head (request line, header lines and the
	// final empty line, with any empty lines before the request line) of this many bytes or
	// more is refused with 431, as Waitress does.
	MaxHeaderBytes int
	// MaxBodyBytes is max_request_body_size: a Content-Length, or a decoded chunked body,
	// of this many bytes or more is refused with 413, as Waitress does (its test is ">=").
	MaxBodyBytes int64
	// MaxHeaders is the most header field lines accepted (431 beyond); 0 means DefaultMaxHeaders.
	MaxHeaders int
	// AllowMissingHost accepts HTTP/1.1 requests without a Host header, as Waitress does.
	// By default they are refused with 400, as RFC 9112 §3.2 requires.
	AllowMissingHost bool
}

// DefaultLimits returns the limits of a Waitress server with default options.
func DefaultLimits() Limits {
	return Limits{MaxHeaderBytes: DefaultMaxHeaderBytes, MaxBodyBytes: DefaultMaxBodyBytes}
}

// Header is one request header field. Name and Value alias the buffer given to ParseHead;
// Value has the optional whitespace around it removed.
type Header struct{ Name, Value []byte }

// Request is one parsed request head. Its byte slices alias the buffer given to ParseHead and
// stay valid until that buffer is reused. It is only meaningful after ParseHead returned n > 0.
type Request struct {
	Method []byte
	// Target is the request-target exactly as received (Waitress's REQUEST_URI).
	Target []byte
	// Path is the raw, still percent-encoded path: the part of an origin-form target before
	// '?' or '#'; for absolute-form, the path after the authority (empty if there is none, as
	// Waitress has it); for asterisk-form (OPTIONS only), "*".
	Path []byte
	// Query is the raw part after the first '?' and before '#', without the '?'. As in
	// Waitress, a "#fragment" is dropped from Path and Query (it stays in Target).
	Query []byte
	// Scheme and Authority are set, as received, for an absolute-form target only.
	Scheme, Authority []byte
	// Host is the value of the Host header, nil if there is none.
	Host []byte

	// Major and Minor are the HTTP version: 1.0 or 1.1. HTTP/1.2 to 1.9 are read as 1.1 (RFC 9112 §2.3).
	Major, Minor int

	// Headers are the header fields in the order received, duplicates kept. Fields whose name
	// contains "_" are left out, as Waitress drops them (they would collide with "-" in the
	// environ). Transfer-Encoding is left out too: Waitress removes it from the environ, and
	// the body reaches the application de-chunked.
	Headers []Header

	// ContentLength is the Content-Length, -1 if there is none (including chunked requests).
	ContentLength int64
	// Chunked reports Transfer-Encoding: chunked; the body must go through a ChunkedDecoder.
	Chunked bool
	// KeepAlive reports whether the request lets the connection persist: HTTP/1.1 unless
	// "Connection: close", HTTP/1.0 only with "Connection: keep-alive".
	KeepAlive bool
	// Expect100 reports "Expect: 100-continue" on HTTP/1.1.
	Expect100 bool
	// HeadLen is the number of bytes the head took, leading empty lines included.
	HeadLen int

	connClose, connKeepAlive bool
}

// Reset clears r for reuse without freeing the backing array of its Headers.
func (r *Request) Reset() {
	h := r.Headers[:0]
	*r = Request{Headers: h, ContentLength: -1}
}

// ConnectionOption summarises the request's Connection header for ResponseHead.ReqConnection:
// "close" if it lists close, else "keep-alive" if it lists keep-alive, else "".
func (r *Request) ConnectionOption() string {
	switch {
	case r.connClose:
		return "close"
	case r.connKeepAlive:
		return "keep-alive"
	}
	return ""
}

// Waitress's messages (parser.py, receiver.py), and ours for what only we refuse.
const (
	msgStartLine       = "Start line is invalid"
	msgBareCRLFStart   = "Bare CR or LF found in HTTP message"
	msgInvalidHeader   = "Invalid header"
	msgBadCL           = "Content-Length is invalid"
	msgTENotImpl       = "Transfer-Encoding requested is not supported."
	msgBadURI          = "Bad URI"
	msgTEInvalid       = "Transfer-Encoding is invalid"
	msgTEHTTP10        = "Transfer-Encoding is not allowed in HTTP/1.0 requests"
	msgTEWithCL        = "Content-Length is not allowed with Transfer-Encoding"
	msgNoHost          = "Host header is missing"
	msgManyHosts       = "More than one Host header"
	msgBadHost         = "Host header is invalid"
	msgAsteriskNotOpts = "Asterisk-form request-target is only allowed with OPTIONS"
)

// ParseHead parses one request head from the start of buf into r.
//
// It returns (n, nil) with n > 0 when a whole head was parsed; the body, if any, starts at
// buf[n]. It returns (0, nil) when buf does not yet hold a whole head and the caller should read
// more, or (0, *Error) for a request that must be refused, including 431 once buf holds
// MaxHeaderBytes bytes without a whole head. Empty lines (CRLF) before the request line are
// skipped (RFC 9112 §2.2) and counted in n. Parsing does not allocate once r.Headers has grown.
func ParseHead(buf []byte, lim Limits, r *Request) (n int, err error) {
	r.Reset()
	if len(buf) == 0 {
		return 0, nil
	}
	// Waitress refuses a head whose length reaches max_request_header_size, so only the
	// first MaxHeaderBytes-1 bytes can hold an acceptable head.
	win := buf
	if limit := lim.MaxHeaderBytes - 1; len(win) > limit {
		win = win[:max(0, limit)]
	}
	n, e := parseHead(win, lim, r)
	if e != nil {
		return 0, e
	}
	if n == 0 && len(buf) >= lim.MaxHeaderBytes {
		return 0, headerTooLarge("exceeds max_header of " + strconv.Itoa(lim.MaxHeaderBytes))
	}
	return n, nil
}

// readLine finds the CRLF-terminated line starting at b[pos]. next is -1 if the line is not
// complete yet. A LF without CR before it is an error.
func readLine(b []byte, pos int) (line []byte, next int, bareLF bool) {
	i := bytes.IndexByte(b[pos:], '\n')
	if i < 0 {
		return nil, -1, false
	}
	end := pos + i
	if i == 0 || b[end-1] != '\r' {
		return b[pos:end], -1, true
	}
	return b[pos : end-1], end + 1, false
}

func parseHead(b []byte, lim Limits, r *Request) (int, *Error) {
	pos := 0
	for pos+1 < len(b) && b[pos] == '\r' && b[pos+1] == '\n' {
		pos += 2
	}
	line, next, bareLF := readLine(b, pos)
	if bareLF {
		return 0, badRequest(msgBareCRLFStart, 0)
	}
	if next < 0 {
		return 0, nil
	}
	if err := parseRequestLine(line, r); err != nil {
		return 0, err
	}
	pos = next

	maxHeaders := lim.MaxHeaders
	if maxHeaders <= 0 {
		maxHeaders = DefaultMaxHeaders
	}
	var f framing
	count := 0
	for {
		line, next, bareLF = readLine(b, pos)
		if bareLF {
			return 0, badRequest(`Bare CR or LF found in header line "`+latin1(line)+`"`, 0)
		}
		if next < 0 {
			return 0, nil
		}
		pos = next
		if len(line) == 0 {
			break
		}
		if count++; count > maxHeaders {
			return 0, headerTooLarge("exceeds max header count of " + strconv.Itoa(maxHeaders))
		}
		if err := parseHeaderLine(line, r, &f); err != nil {
			return 0, err
		}
	}
	if err := f.finish(r, lim); err != nil {
		return 0, err
	}
	r.HeadLen = pos
	return pos, nil
}

func parseRequestLine(line []byte, r *Request) *Error {
	if bytes.IndexByte(line, '\r') >= 0 {
		return badRequest(msgBareCRLFStart, 0)
	}
	// method SP request-target SP HTTP-version, exactly one SP each (RFC 9112 §3).
	i := 0
	for i < len(line) && charClass[line[i]]&classToken != 0 {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ' ' {
		return badRequest(msgStartLine, 0)
	}
	method := line[:i]
	j := i + 1
	for j < len(line) && charClass[line[j]]&classTarget != 0 {
		j++
	}
	if j == i+1 || j == len(line) || line[j] != ' ' {
		return badRequest(msgStartLine, 0)
	}
	target := line[i+1 : j]
	v := line[j+1:]
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[6] != '.' ||
		v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return badRequest(msgStartLine, 0)
	}
	for _, c := range method {
		if c >= 'a' && c <= 'z' {
			return badRequest(`Malformed HTTP method "`+latin1(method)+`"`, 0)
		}
	}
	if v[5] != '1' {
		return versionNotSupported()
	}
	r.Major, r.Minor = 1, 0
	if v[7] != '0' {
		r.Minor = 1
	}
	r.Method, r.Target = method, target
	return splitTarget(r)
}

// splitTarget fills Path, Query, Scheme and Authority from r.Target (RFC 9112 §3.2).
func splitTarget(r *Request) *Error {
	t := r.Target
	for _, c := range t {
		// A URI is ASCII (RFC 3986); Waitress's urlsplit refuses other bytes as "Bad URI" too.
		if c >= 0x80 {
			return badRequest(msgBadURI, r.Minor)
		}
	}
	switch {
	case t[0] == '/':
	case len(t) == 1 && t[0] == '*':
		if string(r.Method) != "OPTIONS" {
			return badRequest(msgAsteriskNotOpts, r.Minor)
		}
		r.Path = t
		return nil
	default:
		// absolute-form; Waitress takes its path. Only http and https URIs are served.
		var rest []byte
		switch {
		case len(t) > 7 && equalFold(t[:7], "http://"):
			r.Scheme, rest = t[:4], t[7:]
		case len(t) > 8 && equalFold(t[:8], "https://"):
			r.Scheme, rest = t[:5], t[8:]
		default:
			return badRequest(msgBadURI, r.Minor)
		}
		end := 0
		for end < len(rest) && rest[end] != '/' && rest[end] != '?' && rest[end] != '#' {
			end++
		}
		r.Authority = rest[:end]
		// RFC 9110 §4.2.1: an http(s) URI with an empty host is invalid.
		if end == 0 || r.Authority[0] == ':' || !validHost(r.Authority) {
			return badRequest(msgBadURI, r.Minor)
		}
		t = rest[end:]
	}
	if h := bytes.IndexByte(t, '#'); h >= 0 {
		t = t[:h]
	}
	if q := bytes.IndexByte(t, '?'); q >= 0 {
		r.Path, r.Query = t[:q], t[q+1:]
	} else {
		r.Path = t
	}
	return nil
}

// framing collects what the header fields say about the message framing and connection.
type framing struct {
	clCount, teCount, hostCount, expectCount int
	cl                                       []byte
	teChunked                                int
	teUnsupported, teEmpty, expect100        bool
}

func parseHeaderLine(line []byte, r *Request, f *framing) *Error {
	if line[0] == ' ' || line[0] == '\t' {
		// obs-fold: Waitress joins it to the previous line; RFC 9112 §5.2 lets a server
		// refuse it instead, which closes a request-smuggling door.
		return badRequest(`Malformed header line "`+latin1(line)+`"`, 0)
	}
	i := 0
	underscore := false
	for i < len(line) && charClass[line[i]]&classToken != 0 {
		if line[i] == '_' {
			underscore = true
		}
		i++
	}
	if i == len(line) || line[i] != ':' || i == 0 {
		if bytes.IndexByte(line, '\r') >= 0 {
			return badRequest(`Bare CR or LF found in header line "`+latin1(line)+`"`, 0)
		}
		return badRequest(msgInvalidHeader, 0)
	}
	name := line[:i]
	raw := line[i+1:]
	for _, c := range raw {
		if charClass[c]&classField == 0 {
			if c == '\r' {
				return badRequest(`Bare CR or LF found in header line "`+latin1(line)+`"`, 0)
			}
			return badRequest(msgInvalidHeader, 0)
		}
	}
	if underscore {
		return nil
	}
	value := trimOWS(raw)
	switch len(name) {
	case 4:
		if equalFold(name, "host") {
			f.hostCount++
			r.Host = value
		}
	case 6:
		if equalFold(name, "expect") {
			f.expectCount++
			f.expect100 = equalFold(value, "100-continue")
		}
	case 10:
		if equalFold(name, "connection") {
			listTokens(value, r)
		}
	case 14:
		if equalFold(name, "content-length") {
			f.clCount++
			f.cl = value
		}
	case 17:
		if equalFold(name, "transfer-encoding") {
			f.teCount++
			f.transferCodings(value)
			return nil
		}
	}
	r.Headers = append(r.Headers, Header{Name: name, Value: value})
	return nil
}

// listTokens records the close and keep-alive connection options of a Connection header.
// Waitress compares the whole value with "close" or "keep-alive"; reading it as the list it is
// (RFC 9110 §7.6.1) closes connections Waitress would have kept open, never the reverse.
func listTokens(v []byte, r *Request) {
	for len(v) > 0 {
		c := bytes.IndexByte(v, ',')
		var el []byte
		if c < 0 {
			el, v = v, nil
		} else {
			el, v = v[:c], v[c+1:]
		}
		el = trimOWS(el)
		if equalFold(el, "close") {
			r.connClose = true
		} else if equalFold(el, "keep-alive") {
			r.connKeepAlive = true
		}
	}
}

// transferCodings reads one Transfer-Encoding field value the way Waitress does: empty list
// elements are skipped, anything other than "chunked" (even a blank element) is unsupported.
func (f *framing) transferCodings(v []byte) {
	if len(v) == 0 {
		f.teEmpty = true
		return
	}
	for len(v) > 0 {
		c := bytes.IndexByte(v, ',')
		var el []byte
		if c < 0 {
			el, v = v, nil
		} else {
			el, v = v[:c], v[c+1:]
		}
		if len(el) == 0 {
			continue
		}
		if equalFold(trimOWS(el), "chunked") {
			f.teChunked++
		} else {
			f.teUnsupported = true
		}
	}
}

func (f *framing) finish(r *Request, lim Limits) *Error {
	switch {
	case f.hostCount > 1:
		return badRequest(msgManyHosts, r.Minor)
	case f.hostCount == 1:
		if !validHost(r.Host) {
			return badRequest(msgBadHost, r.Minor)
		}
	case r.Minor == 1 && !lim.AllowMissingHost:
		return badRequest(msgNoHost, r.Minor)
	}

	if f.teCount > 0 {
		switch {
		case r.Minor == 0:
			// RFC 9112 §6.1: the framing of an HTTP/1.0 message with Transfer-Encoding is faulty.
			return badRequest(msgTEHTTP10, 0)
		case f.teUnsupported:
			return notImplemented(msgTENotImpl, r.Minor)
		case f.teEmpty || f.teChunked != 1:
			// No coding at all, or chunked applied twice (RFC 9112 §7: a sender MUST NOT).
			return badRequest(msgTEInvalid, r.Minor)
		case f.clCount > 0:
			// RFC 9112 §6.1 allows refusing this; it is the classic smuggling vector.
			return badRequest(msgTEWithCL, r.Minor)
		}
		r.Chunked = true
	} else if f.clCount > 0 {
		// Waitress joins repeated fields with ", ", which then fails its digits-only test.
		if f.clCount > 1 || len(f.cl) == 0 {
			return badRequest(msgBadCL, r.Minor)
		}
		var cl int64
		overflow := false
		for _, c := range f.cl {
			if c < '0' || c > '9' {
				return badRequest(msgBadCL, r.Minor)
			}
			if cl > (1<<62)/10 {
				overflow = true
			} else {
				cl = cl*10 + int64(c-'0')
			}
		}
		// Waitress's int() never overflows; a huge value just fails the max_body test.
		if overflow || cl > 0 && cl >= lim.MaxBodyBytes {
			return entityTooLarge(lim.MaxBodyBytes, r.Minor)
		}
		r.ContentLength = cl
	}

	if r.Minor == 1 {
		r.Expect100 = f.expectCount == 1 && f.expect100
		r.KeepAlive = !r.connClose
	} else {
		r.KeepAlive = r.connKeepAlive && !r.connClose
	}
	return nil
}

// latin1 renders raw bytes the way Waitress puts them in its messages: each byte is the
// latin-1 character of that code.
func latin1(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	out := make([]rune, len(b))
	for i, c := range b {
		out[i] = rune(c)
	}
	return string(out)
}
