package server

import (
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/waitress-go/waitress-go/internal/wsgi"
)

// AccessEntry describes one request the application answered, for an access log. Its slices
// alias the connection's buffers: they are valid only during the Config.AccessLog call.
type AccessEntry struct {
	// Start is when the request was handed to the application (its body fully read).
	Start time.Time
	// Duration runs from Start to the last byte of the response written.
	Duration time.Duration
	// Environ holds the request's CGI variables as the application saw them (REMOTE_ADDR
	// after trusted proxy headers).
	Environ []wsgi.EnvVar
	// Status is the status line text sent ("200 OK").
	Status string
	// Headers are the response headers the application gave.
	Headers []wsgi.Header
	// Sent is the number of response body bytes the application produced.
	Sent int64
}

// AccessLogger is the Python logger access lines go to, at INFO.
const AccessLogger = "waitress.access"

// NewAccessLog returns a Config.AccessLog that formats each request with format (see
// AccessLogFormat) and sends the line to log as AccessLogger at INFO.
func NewAccessLog(format string, log Logger) (func(*AccessEntry), error) {
	f, err := ParseAccessLogFormat(format)
	if err != nil {
		return nil, err
	}
	return func(e *AccessEntry) { log.Log(AccessLogger, levelInfo, f.Format(e)) }, nil
}

// logAccess reports the request that just ended to Config.AccessLog (connection goroutine,
// no GIL).
func (c *conn) logAccess(start time.Time) {
	w := &c.resp
	w.mu.Lock()
	e := AccessEntry{
		Start:    start,
		Duration: time.Since(start),
		Environ:  c.env,
		Status:   w.status,
		Headers:  w.headers,
		Sent:     w.written,
	}
	w.mu.Unlock()
	c.srv.cfg.AccessLog(&e)
}

// AccessLogFormat is a compiled access log line format in gunicorn's syntax: %(atom)s
// placeholders, %% for a percent sign. The atoms are gunicorn's:
//
//	h remote address   l "-"              u user name (HTTP Basic auth)   t [time of the log]
//	r request line      m method           U path (PATH_INFO)              q query string
//	H protocol          s status code      b and B body bytes sent         f Referer
//	a User-Agent        T seconds          M milliseconds                  D microseconds
//	L seconds, decimal  p <process id>     {name}i request header          {name}o response header
//	{name}e environ variable
//
// An unknown atom prints "-", as in gunicorn. Values are escaped as Apache does: control
// characters, non-ASCII bytes, '"' and '\' become \xHH, \" and \\.
type AccessLogFormat struct {
	parts []fmtPart
}

type fmtPart struct {
	lit  string // literal text, when atom is ""
	atom string
}

// ParseAccessLogFormat compiles format. Only %(atom)s (or d), %% and plain text are allowed.
func ParseAccessLogFormat(format string) (*AccessLogFormat, error) {
	f := &AccessLogFormat{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.parts = append(f.parts, fmtPart{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(format); i++ {
		ch := format[i]
		if ch != '%' {
			lit.WriteByte(ch)
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			lit.WriteByte('%')
			i++
			continue
		}
		if i+1 >= len(format) || format[i+1] != '(' {
			return nil, fmt.Errorf("access log format: %% at offset %d must start %%(atom)s or be %%%%", i)
		}
		end := strings.IndexByte(format[i+2:], ')')
		if end < 0 {
			return nil, fmt.Errorf("access log format: unclosed %%( at offset %d", i)
		}
		atom := format[i+2 : i+2+end]
		j := i + 2 + end + 1
		if j >= len(format) || (format[j] != 's' && format[j] != 'd') {
			return nil, fmt.Errorf("access log format: %%(%s) at offset %d must be followed by s", atom, i)
		}
		if atom == "" {
			return nil, fmt.Errorf("access log format: empty %%() at offset %d", i)
		}
		flush()
		f.parts = append(f.parts, fmtPart{atom: atom})
		i = j
	}
	flush()
	return f, nil
}

// Format renders one line for e.
func (f *AccessLogFormat) Format(e *AccessEntry) string {
	var b []byte
	for _, p := range f.parts {
		if p.atom == "" {
			b = append(b, p.lit...)
			continue
		}
		b = appendEscaped(b, atomValue(p.atom, e))
	}
	return string(b)
}

func accessEnv(e *AccessEntry, key string) (string, bool) {
	for _, v := range e.Environ {
		if v.Key == key {
			return string(v.Value), true
		}
	}
	return "", false
}

func envOr(e *AccessEntry, key, def string) string {
	if v, ok := accessEnv(e, key); ok {
		return v
	}
	return def
}

func atomValue(atom string, e *AccessEntry) string {
	if n := len(atom); n > 3 && atom[0] == '{' && atom[n-2] == '}' {
		name := atom[1 : n-2]
		switch atom[n-1] {
		case 'i':
			key := "HTTP_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
			switch key {
			case "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH":
				key = key[len("HTTP_"):]
			}
			return envOr(e, key, "-")
		case 'o':
			for _, h := range e.Headers {
				if strings.EqualFold(h.Name, name) {
					return h.Value
				}
			}
			return "-"
		case 'e':
			return envOr(e, name, "-")
		}
		return "-"
	}
	us := e.Duration.Microseconds()
	switch atom {
	case "h":
		return envOr(e, "REMOTE_ADDR", "-")
	case "l":
		return "-"
	case "u":
		return basicUser(envOr(e, "HTTP_AUTHORIZATION", ""))
	case "t":
		return e.Start.Add(e.Duration).Format("[02/Jan/2006:15:04:05 -0700]")
	case "r":
		return envOr(e, "REQUEST_METHOD", "-") + " " + envOr(e, "REQUEST_URI", "-") + " " + envOr(e, "SERVER_PROTOCOL", "-")
	case "m":
		return envOr(e, "REQUEST_METHOD", "-")
	case "U":
		return envOr(e, "PATH_INFO", "-")
	case "q":
		return envOr(e, "QUERY_STRING", "-")
	case "H":
		return envOr(e, "SERVER_PROTOCOL", "-")
	case "s":
		if code, _, _ := strings.Cut(e.Status, " "); code != "" {
			return code
		}
		return "-"
	case "b", "B":
		return strconv.FormatInt(e.Sent, 10)
	case "f":
		return envOr(e, "HTTP_REFERER", "-")
	case "a":
		return envOr(e, "HTTP_USER_AGENT", "-")
	case "T":
		return strconv.FormatInt(us/1e6, 10)
	case "M":
		return strconv.FormatInt(us/1e3, 10)
	case "D":
		return strconv.FormatInt(us, 10)
	case "L":
		return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
	case "p":
		return "<" + strconv.Itoa(os.Getpid()) + ">"
	}
	return "-"
}

// basicUser is the user name of an HTTP Basic Authorization header, or "-".
func basicUser(auth string) string {
	scheme, cred, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "basic") {
		return "-"
	}
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "-"
	}
	user, _, ok := strings.Cut(string(dec), ":")
	if !ok {
		return "-"
	}
	return user
}

// appendEscaped appends s with the bytes that could forge or garble a log line escaped.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c >= 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return b
}
