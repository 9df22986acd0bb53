package server

import (
	"log/slog"
	"os"
	"time"
)

// Addr is one address to listen on.
type Addr struct {
	// Network is "tcp4", "tcp6", "tcp" or "unix".
	Network string
	// Address is "host:port" for TCP networks and a file system path for "unix".
	Address string
}

// Config holds every setting the server uses. The zero value of a field means "Waitress's
// default" (listed on each field); the command fills it from options.Options.
type Config struct {
	// Addrs lists the addresses Listen binds (DefaultConfig: Waitress's 0.0.0.0:8080). Empty
	// binds nothing, for a server that only serves listeners given to AddListener.
	Addrs []Addr
	// UnixSocketPerms is the mode a unix socket file is chmod-ed to after binding
	// (Waitress --unix-socket-perms, default 0600).
	UnixSocketPerms os.FileMode
	// Backlog is passed to listen(2) (default 1024).
	Backlog int

	// URLScheme is the default wsgi.url_scheme (default "http").
	URLScheme string
	// URLPrefix becomes SCRIPT_NAME and is stripped from PATH_INFO (default ""). It must be
	// empty or start with one slash and not end with one (options normalises it).
	URLPrefix string
	// Ident is sent as the Server header and SERVER_SOFTWARE (Waitress default "waitress",
	// set by DefaultConfig). Empty sends no Server header, as Waitress's --no-ident.
	Ident string
	// ServerName is SERVER_NAME (default "waitress.invalid").
	ServerName string

	// RecvBytes is the size of each read from a socket (default 8192).
	RecvBytes int
	// SendBytes is a deprecated Waitress setting (default 1); the server flushes as soon as
	// output is available, so it is accepted and ignored.
	SendBytes int
	// OutbufOverflow is how many unsent response bytes a connection keeps in memory before
	// spooling the rest to a temporary file (default 1 MiB).
	OutbufOverflow int64
	// OutbufHighWatermark is how many unsent response bytes make the application wait
	// (default 16 MiB).
	OutbufHighWatermark int64
	// InbufOverflow is the request body size above which the body is spooled to a temporary
	// file (default 512 KiB).
	InbufOverflow int64

	// ConnectionLimit bounds the requests that are queued for or running in the
	// application at once (default 100). Unlike Waitress, idle and still-sending connections
	// do not count, and the server never stops accepting.
	ConnectionLimit int
	// CleanupInterval is accepted for compatibility (default 30 s): idle connections are
	// closed by socket deadlines, so there is no periodic sweep.
	CleanupInterval time.Duration
	// ChannelTimeout closes a connection that has been idle this long, or that takes this
	// long to send a request head, or makes no progress sending a body or reading the
	// response for this long (default 120 s).
	ChannelTimeout time.Duration
	// LogSocketErrors logs unexpected socket errors (default true in Waitress; the command
	// sets it). Ordinary disconnects (EOF, reset, broken pipe) are never logged, as in Waitress.
	LogSocketErrors bool

	// MaxRequestHeaderSize bounds the request head (default 262144).
	MaxRequestHeaderSize int
	// MaxRequestBodySize bounds the request body (default 1073741824).
	MaxRequestBodySize int64
	// ExposeTracebacks puts the traceback in the body of 500 pages (default false).
	ExposeTracebacks bool
	// ChannelRequestLookahead lets a connection read up to this many requests ahead of the
	// one running, so that a client that closes its connection is noticed (default 0).
	ChannelRequestLookahead int

	// TrustedProxy, TrustedProxyCount, TrustedProxyHeaders, LogUntrustedProxyHeaders and
	// ClearUntrustedProxyHeaders configure proxy header handling, Waitress's
	// proxy_headers_middleware (package proxy). Waitress's defaults: none, 1, none, false, true.
	TrustedProxy               string
	TrustedProxyCount          int
	TrustedProxyHeaders        []string
	LogUntrustedProxyHeaders   bool
	ClearUntrustedProxyHeaders bool

	// AccessLog, when set, is called once for every request the application answered, from
	// the connection's goroutine after the response was written, with no lock or GIL held; it
	// must not block (see AccessEntry and AccessLogFormat).
	AccessLog func(*AccessEntry)
}

// Logger receives log records for a Python logger name ("waitress", "waitress.queue").
type Logger interface {
	Log(name string, level slog.Level, msg string)
}

// DefaultConfig returns Waitress's defaults, including the ones a zero value cannot express
// (Ident, LogSocketErrors, ClearUntrustedProxyHeaders).
func DefaultConfig() Config {
	c := Config{
		Addrs:                      []Addr{{Network: "tcp4", Address: "0.0.0.0:8080"}},
		Ident:                      DefaultIdent,
		LogSocketErrors:            true,
		ClearUntrustedProxyHeaders: true,
	}
	c.fill()
	return c
}

// Waitress defaults, used for zero fields.
const (
	DefaultBacklog              = 1024
	DefaultRecvBytes            = 8192
	DefaultOutbufOverflow       = 1 << 20
	DefaultOutbufHighWatermark  = 16 << 20
	DefaultInbufOverflow        = 512 << 10
	DefaultConnectionLimit      = 100
	DefaultCleanupInterval      = 30 * time.Second
	DefaultChannelTimeout       = 120 * time.Second
	DefaultMaxRequestHeaderSize = 262144
	DefaultMaxRequestBodySize   = 1 << 30
	DefaultIdent                = "waitress"
	DefaultServerName           = "waitress.invalid"
	DefaultURLScheme            = "http"
	DefaultUnixSocketPerms      = 0o600
)

func (c *Config) fill() {
	if c.UnixSocketPerms == 0 {
		c.UnixSocketPerms = DefaultUnixSocketPerms
	}
	if c.Backlog <= 0 {
		c.Backlog = DefaultBacklog
	}
	if c.URLScheme == "" {
		c.URLScheme = DefaultURLScheme
	}
	if c.ServerName == "" {
		c.ServerName = DefaultServerName
	}
	if c.RecvBytes <= 0 {
		c.RecvBytes = DefaultRecvBytes
	}
	if c.OutbufOverflow <= 0 {
		c.OutbufOverflow = DefaultOutbufOverflow
	}
	if c.OutbufHighWatermark <= 0 {
		c.OutbufHighWatermark = DefaultOutbufHighWatermark
	}
	if c.InbufOverflow <= 0 {
		c.InbufOverflow = DefaultInbufOverflow
	}
	if c.ConnectionLimit <= 0 {
		c.ConnectionLimit = DefaultConnectionLimit
	}
	if c.CleanupInterval <= 0 {
		c.CleanupInterval = DefaultCleanupInterval
	}
	if c.ChannelTimeout <= 0 {
		c.ChannelTimeout = DefaultChannelTimeout
	}
	if c.MaxRequestHeaderSize <= 0 {
		c.MaxRequestHeaderSize = DefaultMaxRequestHeaderSize
	}
	if c.MaxRequestBodySize <= 0 {
		c.MaxRequestBodySize = DefaultMaxRequestBodySize
	}
	if c.TrustedProxyCount <= 0 {
		c.TrustedProxyCount = 1
	}
}
