// Package options holds every waitress-serve setting: its Waitress name, its
// default, how it is parsed from a string, how it is validated, and how it is
// given on the command line. The CLI and any other front end (such as a
// Python serve(app, **kw)) share it, so a setting behaves the same however it
// is given.
package options

import (
	"os"
	"time"
)

// DefaultAccessLogFormat is the Apache "combined" log format written with
// gunicorn's %(atom)s syntax; it is used when --access-log is on and no
// --access-log-format is given.
const DefaultAccessLogFormat = `%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"`

// Options holds every server setting. Default returns Waitress's defaults;
// Set and ParseArgs change them; Validate checks them and fills Addrs.
type Options struct {
	// App is the application to serve, "module:object" (or "pkg.module.object").
	App string
	// Call means App names a factory that must be called to get the WSGI app.
	Call bool
	// Python is the interpreter to load (our addition); empty means
	// $VIRTUAL_ENV, else python3 on PATH.
	Python string

	// Host and Port are where to listen when Listen is not given.
	Host string
	Port int
	// Listen holds the raw "host:port" entries, as given.
	Listen []string
	// ServerName is SERVER_NAME when the request carries no Host header.
	ServerName string
	// UnixSocket is the path of a Unix domain socket to listen on instead of TCP.
	UnixSocket string
	// UnixSocketPerms are the permission bits given to UnixSocket.
	UnixSocketPerms os.FileMode
	// Sockets are already-listening sockets, as file descriptors (Waitress's
	// "sockets", for socket activation). Not a CLI flag.
	Sockets []int

	// IPv4 and IPv6 choose the address families wildcard and name
	// resolution may produce.
	IPv4, IPv6 bool
	// URLScheme is the default wsgi.url_scheme.
	URLScheme string
	// URLPrefix is SCRIPT_NAME: empty, or a leading '/' and no trailing '/'.
	URLPrefix string
	// Ident is the Server response header; empty sends none.
	Ident string

	Threads             int
	Backlog             int
	RecvBytes           int
	SendBytes           int
	OutbufOverflow      int64
	OutbufHighWatermark int64
	InbufOverflow       int64
	ConnectionLimit     int
	CleanupInterval     time.Duration
	ChannelTimeout      time.Duration
	LogSocketErrors     bool

	MaxRequestHeaderSize int
	MaxRequestBodySize   int64
	ExposeTracebacks     bool
	// AsyncoreLoopTimeout and AsyncoreUsePoll are accepted for compatibility
	// and have no effect.
	AsyncoreLoopTimeout     int
	AsyncoreUsePoll         bool
	ChannelRequestLookahead int

	// TrustedProxy is the peer address whose proxy headers are believed;
	// "*" trusts every peer, "localhost" matches Unix socket peers, empty
	// trusts none.
	TrustedProxy string
	// TrustedProxyCount is how many proxies in a chain are trusted.
	TrustedProxyCount int
	// TrustedProxyHeaders are the lowercase proxy header names to believe.
	TrustedProxyHeaders []string
	// LogUntrustedProxyHeaders logs a warning when untrusted proxy headers
	// are removed.
	LogUntrustedProxyHeaders bool
	// ClearUntrustedProxyHeaders removes proxy headers that are not trusted
	// from the environ.
	ClearUntrustedProxyHeaders bool

	// AccessLog turns on one log line per request (our addition).
	AccessLog bool
	// AccessLogFormat is the access log line format, gunicorn style.
	AccessLogFormat string

	// Addrs are the resolved addresses to listen on, filled by Validate.
	// Sockets, when given, are listened on instead and are not repeated here.
	Addrs []Addr
	// Warnings are the deprecation notices Waitress would issue for these
	// settings, filled by Validate.
	Warnings []string

	// explicit records which settings were given, for Waitress's
	// "x may not be set if y is set" checks, which look at presence, not value.
	explicit explicitSet
}

type explicitSet struct {
	host, port, listen, unixSocket, sockets, trustedProxyCount, sendBytes bool
}

// Addr is one address to listen on.
type Addr struct {
	// Network is "tcp4", "tcp6" or "unix".
	Network string
	// Address is "127.0.0.1:8080", "[::1]:8080", or a socket path.
	Address string
}

// Default returns the options with Waitress's defaults.
func Default() Options {
	return Options{
		Host:                       "0.0.0.0",
		Port:                       8080,
		Listen:                     []string{"0.0.0.0:8080"},
		ServerName:                 "waitress.invalid",
		UnixSocketPerms:            0o600,
		IPv4:                       true,
		IPv6:                       true,
		URLScheme:                  "http",
		Ident:                      "waitress",
		Threads:                    4,
		Backlog:                    1024,
		RecvBytes:                  8192,
		SendBytes:                  1,
		OutbufOverflow:             1048576,
		OutbufHighWatermark:        16777216,
		InbufOverflow:              524288,
		ConnectionLimit:            100,
		CleanupInterval:            30 * time.Second,
		ChannelTimeout:             120 * time.Second,
		LogSocketErrors:            true,
		MaxRequestHeaderSize:       262144,
		MaxRequestBodySize:         1073741824,
		AsyncoreLoopTimeout:        1,
		TrustedProxyCount:          1,
		ClearUntrustedProxyHeaders: true,
		AccessLogFormat:            DefaultAccessLogFormat,
	}
}
