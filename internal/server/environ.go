package server

import (
	"bytes"
	"strconv"

	"github.com/waitress-go/waitress-go/internal/http1"
	"github.com/waitress-go/waitress-go/internal/proxy"
	"github.com/waitress-go/waitress-go/internal/wsgi"
)

// commonHeaders pre-fills the environ key cache so that ordinary requests never allocate a key.
var commonHeaders = []string{
	"Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language", "Accept-Charset",
	"Connection", "Keep-Alive", "Content-Type", "Content-Length", "Cookie", "Referer", "Origin",
	"Authorization", "Cache-Control", "Pragma", "If-Modified-Since", "If-None-Match", "If-Match",
	"If-Unmodified-Since", "If-Range", "Range", "Upgrade-Insecure-Requests", "Expect", "Te",
	"Transfer-Encoding", "Upgrade", "Via", "Forwarded", "X-Forwarded-For", "X-Forwarded-Host",
	"X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-By", "X-Real-Ip", "X-Requested-With",
	"Dnt", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User", "Sec-Ch-Ua",
	"Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform", "Priority", "X-Request-Id", "X-Csrftoken",
	"X-Csrf-Token", "Content-Encoding", "Content-Md5", "Date", "From", "Max-Forwards",
	"Proxy-Authorization", "Trailer",
}

// maxConnKeys bounds a connection's private key cache so that a client sending endless
// distinct header names cannot grow it without limit.
const maxConnKeys = 256

// envKey turns a header name into its environ key exactly as Waitress does
// (parser.parse_header, task.get_environment): uppercase, '-' to '_', "HTTP_" in front except
// for CONTENT_TYPE and CONTENT_LENGTH.
func envKey(name []byte) string {
	b := make([]byte, 0, len(name)+5)
	b = append(b, "HTTP_"...)
	for _, c := range name {
		switch {
		case c == '-':
			c = '_'
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	if s := string(b[5:]); s == "CONTENT_TYPE" || s == "CONTENT_LENGTH" {
		return s
	}
	return string(b)
}

func buildKeyCache() map[string]string {
	m := make(map[string]string, len(commonHeaders)*3)
	for _, h := range commonHeaders {
		k := envKey([]byte(h))
		m[h] = k
		m[string(bytes.ToLower([]byte(h)))] = k
		m[string(bytes.ToUpper([]byte(h)))] = k
	}
	return m
}

// key returns the environ key for a raw header name, from the server's shared read-only
// cache or the connection's own one.
func (c *conn) key(name []byte) string {
	if k, ok := c.srv.keys[string(name)]; ok {
		return k
	}
	if k, ok := c.keys[string(name)]; ok {
		return k
	}
	k := envKey(name)
	if c.keys == nil {
		c.keys = make(map[string]string)
	}
	if len(c.keys) < maxConnKeys {
		c.keys[string(name)] = k
	}
	return k
}

var (
	protoHTTP11 = []byte("HTTP/1.1")
	protoHTTP10 = []byte("HTTP/1.0")
)

// scriptPath splits the decoded path into PATH_INFO exactly as task.get_environment: leading
// slashes collapse to one, and the url_prefix is stripped when the path equals it or starts
// with it followed by a slash. Paths outside the prefix are left whole.
func scriptPath(path []byte, prefix string) []byte {
	if len(path) > 0 && path[0] == '/' {
		i := 1
		for i < len(path) && path[i] == '/' {
			i++
		}
		path = path[i-1:]
	}
	if prefix != "" {
		if string(path) == prefix {
			return path[:0]
		}
		if len(path) > len(prefix) && path[len(prefix)] == '/' && string(path[:len(prefix)]) == prefix {
			return path[len(prefix):]
		}
	}
	return path
}

// buildEnviron fills c.env with the CGI variables of r. bodyLen is the decoded body length,
// used for CONTENT_LENGTH of chunked requests. It returns a non-nil error page when the
// proxy handling rejects the request.
func (c *conn) buildEnviron(r *http1.Request, bodyLen int64) (badProxy *proxy.MalformedError) {
	s := c.srv
	env := c.env[:0]
	var err error
	c.pathBuf, err = http1.DecodePath(r.Path, c.pathBuf[:0])
	if err != nil {
		// The parser accepted the target; fall back to the raw bytes rather than fail.
		c.pathBuf = append(c.pathBuf[:0], r.Path...)
	}
	proto := protoHTTP10
	if r.Major == 1 && r.Minor == 1 {
		proto = protoHTTP11
	}
	env = append(env,
		wsgi.EnvVar{Key: "REQUEST_METHOD", Value: r.Method},
		wsgi.EnvVar{Key: "SCRIPT_NAME", Value: s.urlPrefix},
		wsgi.EnvVar{Key: "PATH_INFO", Value: scriptPath(c.pathBuf, s.cfg.URLPrefix)},
		wsgi.EnvVar{Key: "QUERY_STRING", Value: r.Query},
		wsgi.EnvVar{Key: "REQUEST_URI", Value: r.Target},
		wsgi.EnvVar{Key: "SERVER_PROTOCOL", Value: proto},
		wsgi.EnvVar{Key: "SERVER_NAME", Value: s.serverName},
		wsgi.EnvVar{Key: "SERVER_PORT", Value: c.serverPort},
		wsgi.EnvVar{Key: "SERVER_SOFTWARE", Value: s.ident},
		wsgi.EnvVar{Key: "REMOTE_ADDR", Value: c.remoteAddr},
		wsgi.EnvVar{Key: "REMOTE_HOST", Value: c.remoteAddr},
		wsgi.EnvVar{Key: "REMOTE_PORT", Value: c.remotePort},
		wsgi.EnvVar{Key: "wsgi.url_scheme", Value: s.urlScheme},
	)
	base := len(env)
	http11 := r.Major == 1 && r.Minor == 1
	sawCL, sawProxy := false, false
	for i := range r.Headers {
		h := &r.Headers[i]
		if bytes.IndexByte(h.Name, '_') >= 0 {
			// Waitress drops header names containing '_' (they would be
			// indistinguishable from '-' in the environ).
			continue
		}
		k := c.key(h.Name)
		switch k {
		case "HTTP_TRANSFER_ENCODING":
			// Waitress pops Transfer-Encoding for HTTP/1.1: the body is delivered de-chunked.
			if http11 || r.Chunked {
				continue
			}
		case "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO",
			"HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_BY", "HTTP_FORWARDED":
			sawProxy = true
		case "CONTENT_LENGTH":
			if r.Chunked {
				continue
			}
			sawCL = true
		}
		dup := -1
		for j := base; j < len(env); j++ {
			if env[j].Key == k {
				dup = j
				break
			}
		}
		if dup < 0 {
			env = append(env, wsgi.EnvVar{Key: k, Value: h.Value})
			continue
		}
		// Repeated headers are joined with ", " (parser.parse_header).
		old := env[dup].Value
		v := make([]byte, 0, len(old)+2+len(h.Value))
		v = append(append(append(v, old...), ", "...), h.Value...)
		env[dup].Value = v
	}
	if r.Chunked && !sawCL {
		c.clBuf = strconv.AppendInt(c.clBuf[:0], bodyLen, 10)
		env = append(env, wsgi.EnvVar{Key: "CONTENT_LENGTH", Value: c.clBuf})
	}
	c.env = env
	if s.cfg.TrustedProxy == "" && !(s.cfg.ClearUntrustedProxyHeaders && sawProxy) {
		return nil
	}
	return c.applyProxy(r)
}
