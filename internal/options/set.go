package options

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// ValueError reports a value an option cannot take. Option is the name the
// user gave it by: "threads" through Set, "--threads" through ParseArgs.
type ValueError struct {
	Option, Value, Reason string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("%s: invalid value %q: %s", e.Option, e.Value, e.Reason)
}

// UnknownOptionError reports an option name that does not exist.
type UnknownOptionError struct {
	Option string
}

func (e *UnknownOptionError) Error() string {
	return fmt.Sprintf("unknown option %s", e.Option)
}

type kind int

const (
	kindValue kind = iota // takes a value: --name=VALUE
	kindBool              // a switch: --name / --no-name
	kindFlag              // a switch without a --no- form (--call)
)

// spec describes one option. The same table drives Set, ParseArgs and Help.
type spec struct {
	name    string // Waitress adjustment name, with underscores
	kind    kind
	cli     bool   // available as a command-line flag
	metavar string // placeholder shown in help for kindValue
	help    string // our own words; %s-free, defaults spelled out
	section string
	// set converts and stores a value; a non-nil error is the reason the
	// value was refused.
	set func(o *Options, v string) error
}

// Sections of the help text, in order.
const (
	secApp     = "Application"
	secListen  = "Where to listen"
	secServer  = "Request handling"
	secTuning  = "Tuning"
	secProxy   = "Behind a reverse proxy"
	secLogging = "Logging"
)

func reason(format string, args ...any) error { return fmt.Errorf(format, args...) }

// intIn returns a setter that parses a Python-style integer within [lo, hi]
// and stores it with store.
func intIn(lo, hi int64, what string, store func(o *Options, n int64)) func(*Options, string) error {
	return func(o *Options, v string) error {
		n, err := pyInt(v, 10)
		if err != nil || n < lo || n > hi {
			return reason("%s", what)
		}
		store(o, n)
		return nil
	}
}

const (
	mustPositive    = "must be a positive integer"
	mustNonNegative = "must be a non-negative integer"
	maxInt          = math.MaxInt32 // int-valued settings stay well inside int on every platform
	maxSeconds      = int64(math.MaxInt64 / int64(time.Second))
)

func positiveInt(store func(o *Options, n int64)) func(*Options, string) error {
	return intIn(1, maxInt, mustPositive, store)
}

func nonNegativeInt(store func(o *Options, n int64)) func(*Options, string) error {
	return intIn(0, maxInt, mustNonNegative, store)
}

// positiveInt64 is for sizes where Waitress's 0 would be a trap (0 refuses every body, spools
// every byte, or pauses after every write): we ask for a positive value instead.
func positiveInt64(store func(o *Options, n int64)) func(*Options, string) error {
	return intIn(1, math.MaxInt64, mustPositive, store)
}

func nonNegativeInt64(store func(o *Options, n int64)) func(*Options, string) error {
	return intIn(0, math.MaxInt64, mustNonNegative, store)
}

func positiveSeconds(store func(o *Options, d time.Duration)) func(*Options, string) error {
	return intIn(1, maxSeconds, "must be a positive whole number of seconds", func(o *Options, n int64) {
		store(o, time.Duration(n)*time.Second)
	})
}

func boolSetter(store func(o *Options, b bool)) func(*Options, string) error {
	return func(o *Options, v string) error {
		store(o, asBool(v))
		return nil
	}
}

// KnownProxyHeaders are the proxy header names trusted_proxy_headers may
// list, lowercase, in the order help and errors show them.
var KnownProxyHeaders = []string{
	"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
	"x-forwarded-port", "x-forwarded-by", "forwarded",
}

func isKnownProxyHeader(h string) bool {
	for _, k := range KnownProxyHeaders {
		if h == k {
			return true
		}
	}
	return false
}

var specs = []spec{
	// Application.
	{name: "app", kind: kindValue, cli: true, metavar: "MODULE:OBJECT", section: secApp,
		help: "The WSGI application to serve; an alternative to giving MODULE:OBJECT as the last argument.",
		set: func(o *Options, v string) error {
			if strings.TrimSpace(v) == "" {
				return reason("must name an application as MODULE:OBJECT")
			}
			o.App = v
			return nil
		}},
	{name: "call", kind: kindFlag, cli: true, section: secApp,
		help: "Treat MODULE:OBJECT as a factory: call it with no arguments and serve what it returns.",
		set:  boolSetter(func(o *Options, b bool) { o.Call = b })},
	{name: "python", kind: kindValue, cli: true, metavar: "PATH", section: secApp,
		help: "Python interpreter whose libpython loads the application. Default: the one in $VIRTUAL_ENV, else python3 on PATH.",
		set: func(o *Options, v string) error {
			if v == "" {
				return reason("must be the path of a Python interpreter")
			}
			o.Python = v
			return nil
		}},

	// Where to listen.
	{name: "host", kind: kindValue, cli: true, metavar: "ADDR", section: secListen,
		help: "Host name or IP address to listen on. Default: 0.0.0.0 (every IPv4 address of this machine). Cannot be combined with --listen or --unix-socket.",
		set: func(o *Options, v string) error {
			o.Host = v
			o.explicit.host = true
			return nil
		}},
	{name: "port", kind: kindValue, cli: true, metavar: "PORT", section: secListen,
		help: "TCP port to listen on. Default: 8080. Cannot be combined with --listen or --unix-socket.",
		set: intIn(0, 65535, "must be a port number from 0 to 65535", func(o *Options, n int64) {
			o.Port = int(n)
			o.explicit.port = true
		})},
	{name: "listen", kind: kindValue, cli: true, metavar: "HOST:PORT", section: secListen,
		help: "Address to listen on, e.g. 127.0.0.1:8080, [::1]:8080 or *:8080 (every address of the enabled IP versions). Give it several times to listen on several addresses. A host without a port uses port 8080. Default: 0.0.0.0:8080.",
		set: func(o *Options, v string) error {
			o.Listen = asList(v)
			o.explicit.listen = true
			return nil
		}},
	{name: "ipv4", kind: kindBool, cli: true, section: secListen,
		help: "Allow IPv4 addresses when expanding * and host names in --listen/--host. On by default.",
		set:  boolSetter(func(o *Options, b bool) { o.IPv4 = b })},
	{name: "ipv6", kind: kindBool, cli: true, section: secListen,
		help: "Allow IPv6 addresses when expanding * and host names in --listen/--host. On by default.",
		set:  boolSetter(func(o *Options, b bool) { o.IPv6 = b })},
	{name: "unix_socket", kind: kindValue, cli: true, metavar: "PATH", section: secListen,
		help: "Listen on a Unix domain socket at PATH instead of TCP. Cannot be combined with --host, --port or --listen. Not available on Windows.",
		set: func(o *Options, v string) error {
			o.UnixSocket = v
			o.explicit.unixSocket = true
			return nil
		}},
	{name: "unix_socket_perms", kind: kindValue, cli: true, metavar: "OCTAL", section: secListen,
		help: "Permissions of the Unix domain socket, in octal. Default: 600. Not available on Windows.",
		set: func(o *Options, v string) error {
			n, err := pyInt(v, 8)
			if err != nil || n < 0 || n > 0o7777 {
				return reason("must be octal permissions such as 600 or 0o660")
			}
			o.UnixSocketPerms = fileMode(n)
			return nil
		}},
	{name: "sockets", kind: kindValue, cli: false, metavar: "FDS",
		set: func(o *Options, v string) error {
			var fds []int
			for _, f := range asList(v) {
				n, err := pyInt(f, 10)
				if err != nil || n < 0 || n > maxInt {
					return reason("must be a list of open socket file descriptors")
				}
				fds = append(fds, int(n))
			}
			o.Sockets = fds
			o.explicit.sockets = true
			return nil
		}},

	// Request handling.
	{name: "server_name", kind: kindValue, cli: true, metavar: "NAME", section: secServer,
		help: "SERVER_NAME for requests that carry no Host header. Default: waitress.invalid.",
		set: func(o *Options, v string) error {
			o.ServerName = v
			return nil
		}},
	{name: "url_scheme", kind: kindValue, cli: true, metavar: "SCHEME", section: secServer,
		help: "Default wsgi.url_scheme. Default: http.",
		set: func(o *Options, v string) error {
			o.URLScheme = v
			return nil
		}},
	{name: "url_prefix", kind: kindValue, cli: true, metavar: "PATH", section: secServer,
		help: "Mount the application under PATH: SCRIPT_NAME becomes PATH (without trailing slashes) and PATH is removed from the front of PATH_INFO of requests below it. Default: empty.",
		set: func(o *Options, v string) error {
			o.URLPrefix = slashFixed(v)
			return nil
		}},
	{name: "ident", kind: kindValue, cli: true, metavar: "NAME", section: secServer,
		help: "Value of the Server header in responses; empty sends no Server header. Default: waitress.",
		set: func(o *Options, v string) error {
			o.Ident = v
			return nil
		}},
	{name: "max_request_header_size", kind: kindValue, cli: true, metavar: "BYTES", section: secServer,
		help: "Largest total size of a request's headers; bigger requests get 431. Default: 262144 (256KB).",
		set:  positiveInt(func(o *Options, n int64) { o.MaxRequestHeaderSize = int(n) })},
	{name: "max_request_body_size", kind: kindValue, cli: true, metavar: "BYTES", section: secServer,
		help: "Largest request body; bigger requests get 413. Default: 1073741824 (1GB).",
		set:  positiveInt64(func(o *Options, n int64) { o.MaxRequestBodySize = n })},
	{name: "expose_tracebacks", kind: kindBool, cli: true, section: secServer,
		help: "Show the traceback of an unhandled application error in the 500 response. Off by default; never turn it on in production.",
		set:  boolSetter(func(o *Options, b bool) { o.ExposeTracebacks = b })},
	{name: "channel_request_lookahead", kind: kindValue, cli: true, metavar: "N", section: secServer,
		help: "Keep reading up to N further requests on a connection while one is running, so a client that hangs up can be noticed (waitress.client_disconnected). Default: 0.",
		set:  nonNegativeInt(func(o *Options, n int64) { o.ChannelRequestLookahead = int(n) })},

	// Tuning.
	{name: "threads", kind: kindValue, cli: true, metavar: "N", section: secTuning,
		help: "Number of threads that run the application. Default: 4.",
		set:  positiveInt(func(o *Options, n int64) { o.Threads = int(n) })},
	{name: "backlog", kind: kindValue, cli: true, metavar: "N", section: secTuning,
		help: "Length of the queue of connections the OS accepts before the server takes them. Default: 1024.",
		set:  positiveInt(func(o *Options, n int64) { o.Backlog = int(n) })},
	{name: "recv_bytes", kind: kindValue, cli: true, metavar: "BYTES", section: secTuning,
		help: "Bytes asked for in each read from a connection. Default: 8192.",
		set:  positiveInt(func(o *Options, n int64) { o.RecvBytes = int(n) })},
	{name: "send_bytes", kind: kindValue, cli: true, metavar: "BYTES", section: secTuning,
		help: "Deprecated in Waitress; accepted and ignored. Default: 1.",
		set: nonNegativeInt(func(o *Options, n int64) {
			o.SendBytes = int(n)
			o.explicit.sendBytes = true
		})},
	{name: "outbuf_overflow", kind: kindValue, cli: true, metavar: "BYTES", section: secTuning,
		help: "Response data buffered beyond this many bytes goes to a temporary file. Default: 1048576 (1MB).",
		set:  positiveInt64(func(o *Options, n int64) { o.OutbufOverflow = n })},
	{name: "outbuf_high_watermark", kind: kindValue, cli: true, metavar: "BYTES", section: secTuning,
		help: "The application's response iterator is paused while more than this many bytes wait to be sent. Default: 16777216 (16MB).",
		set:  positiveInt64(func(o *Options, n int64) { o.OutbufHighWatermark = n })},
	{name: "inbuf_overflow", kind: kindValue, cli: true, metavar: "BYTES", section: secTuning,
		help: "A request body larger than this many bytes is buffered in a temporary file. Default: 524288 (512KB).",
		set:  positiveInt64(func(o *Options, n int64) { o.InbufOverflow = n })},
	{name: "connection_limit", kind: kindValue, cli: true, metavar: "N", section: secTuning,
		help: "At most this many requests are queued for or running in the application at once; further complete requests wait their turn. Unlike Waitress, idle and still-sending connections do not count and new connections are always accepted. Default: 100.",
		set:  positiveInt(func(o *Options, n int64) { o.ConnectionLimit = int(n) })},
	{name: "cleanup_interval", kind: kindValue, cli: true, metavar: "SECONDS", section: secTuning,
		help: "Accepted for compatibility with Waitress; has no effect here: --channel-timeout is enforced on each connection as it happens, with no periodic sweep. Default: 30.",
		set:  positiveSeconds(func(o *Options, d time.Duration) { o.CleanupInterval = d })},
	{name: "channel_timeout", kind: kindValue, cli: true, metavar: "SECONDS", section: secTuning,
		help: "Close a connection that has neither received nor sent data for this long. Default: 120.",
		set:  positiveSeconds(func(o *Options, d time.Duration) { o.ChannelTimeout = d })},
	{name: "asyncore_loop_timeout", kind: kindValue, cli: true, metavar: "SECONDS", section: secTuning,
		help: "Accepted for compatibility with Waitress; has no effect here. Default: 1.",
		set:  nonNegativeInt(func(o *Options, n int64) { o.AsyncoreLoopTimeout = int(n) })},
	{name: "asyncore_use_poll", kind: kindBool, cli: true, section: secTuning,
		help: "Accepted for compatibility with Waitress; has no effect here. Off by default.",
		set:  boolSetter(func(o *Options, b bool) { o.AsyncoreUsePoll = b })},

	// Behind a reverse proxy.
	{name: "trusted_proxy", kind: kindValue, cli: true, metavar: "ADDR", section: secProxy,
		help: "Peer address of the reverse proxy whose headers are believed; * trusts every peer, and localhost matches Unix socket peers. Default: none.",
		set: func(o *Options, v string) error {
			o.TrustedProxy = v
			return nil
		}},
	{name: "trusted_proxy_count", kind: kindValue, cli: true, metavar: "N", section: secProxy,
		help: "How many proxies in front of the server append to X-Forwarded-For/Forwarded; that many entries, counted from the end, are believed. Needs --trusted-proxy. Default: 1.",
		set: positiveInt(func(o *Options, n int64) {
			o.TrustedProxyCount = int(n)
			o.explicit.trustedProxyCount = true
		})},
	{name: "trusted_proxy_headers", kind: kindValue, cli: true, metavar: "NAMES", section: secProxy,
		help: "Proxy headers to believe from the trusted proxy, separated by spaces or commas: x-forwarded-for, x-forwarded-host, x-forwarded-proto, x-forwarded-port, x-forwarded-by, or forwarded (which cannot be combined with the others). Needs --trusted-proxy. Default: x-forwarded-proto alone when --trusted-proxy is set (deprecated; list them).",
		set: func(o *Options, v string) error {
			seen := map[string]bool{}
			var hs []string
			for _, h := range asList(v) {
				h = strings.ToLower(h)
				if !seen[h] {
					seen[h] = true
					hs = append(hs, h)
				}
			}
			sort.Strings(hs)
			o.TrustedProxyHeaders = hs
			return nil
		}},
	{name: "log_untrusted_proxy_headers", kind: kindBool, cli: true, section: secProxy,
		help: "Log a warning naming the untrusted proxy headers removed from a request. Off by default.",
		set:  boolSetter(func(o *Options, b bool) { o.LogUntrustedProxyHeaders = b })},
	{name: "clear_untrusted_proxy_headers", kind: kindBool, cli: true, section: secProxy,
		help: "Remove proxy headers that are not trusted (all of them from untrusted peers) before the application sees them. On by default.",
		set:  boolSetter(func(o *Options, b bool) { o.ClearUntrustedProxyHeaders = b })},

	// Logging.
	{name: "log_socket_errors", kind: kindBool, cli: true, section: secLogging,
		help: "Log unexpected socket errors (ordinary disconnects such as a reset or a broken pipe are never logged). On by default.",
		set:  boolSetter(func(o *Options, b bool) { o.LogSocketErrors = b })},
	{name: "access_log", kind: kindBool, cli: true, section: secLogging,
		help: "Log one line per request (Apache combined format by default) to the Python logger waitress.access at INFO. Off by default, as Waitress has no access log.",
		set:  boolSetter(func(o *Options, b bool) { o.AccessLog = b })},
	{name: "access_log_format", kind: kindValue, cli: true, metavar: "FORMAT", section: secLogging,
		help: "Access log line format, in gunicorn's %(atom)s syntax (h remote address, t time, r request line, s status, b size, f referer, a user agent, ...). Used with --access-log. Default: Apache combined, " + DefaultAccessLogFormat + ".",
		set: func(o *Options, v string) error {
			if v == "" {
				return reason("must not be empty")
			}
			o.AccessLogFormat = v
			return nil
		}},
}

func lookupSpec(name string) *spec {
	for i := range specs {
		if specs[i].name == name {
			return &specs[i]
		}
	}
	return nil
}

// Set applies one option by its Waitress adjustment name (for example
// "threads" or "trusted_proxy_headers"), converting value from a string as
// Waitress does: booleans with asbool ("t", "true", "y", "yes", "on", "1",
// any case, are true; anything else is false), lists split on whitespace
// and commas, integers as Python's int(), unix_socket_perms as octal.
// A front end passing Python keywords should skip keywords whose value is
// None rather than pass "None".
func (o *Options) Set(name, value string) error {
	sp := lookupSpec(name)
	if sp == nil {
		return &UnknownOptionError{Option: fmt.Sprintf("%q", name)}
	}
	if err := sp.set(o, value); err != nil {
		return &ValueError{Option: name, Value: value, Reason: err.Error()}
	}
	return nil
}

// Names returns every option name Set accepts, in help order.
func Names() []string {
	names := make([]string, len(specs))
	for i, sp := range specs {
		names[i] = sp.name
	}
	return names
}
