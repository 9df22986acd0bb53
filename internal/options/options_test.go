package options

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// field reads an Options field by name, so tables can name what they check.
func field(o Options, name string) any {
	return reflect.ValueOf(o).FieldByName(name).Interface()
}

func TestDefaults(t *testing.T) {
	// Waitress 3's defaults (adjustments.py), plus ours.
	want := map[string]any{
		"Host": "0.0.0.0", "Port": 8080, "Listen": []string{"0.0.0.0:8080"},
		"ServerName": "waitress.invalid", "UnixSocket": "", "UnixSocketPerms": os.FileMode(0o600),
		"IPv4": true, "IPv6": true, "URLScheme": "http", "URLPrefix": "", "Ident": "waitress",
		"Threads": 4, "Backlog": 1024, "RecvBytes": 8192, "SendBytes": 1,
		"OutbufOverflow": int64(1048576), "OutbufHighWatermark": int64(16777216), "InbufOverflow": int64(524288),
		"ConnectionLimit": 100, "CleanupInterval": 30 * time.Second, "ChannelTimeout": 120 * time.Second,
		"LogSocketErrors": true, "MaxRequestHeaderSize": 262144, "MaxRequestBodySize": int64(1073741824),
		"ExposeTracebacks": false, "AsyncoreLoopTimeout": 1, "AsyncoreUsePoll": false,
		"ChannelRequestLookahead": 0, "TrustedProxy": "", "TrustedProxyCount": 1,
		"TrustedProxyHeaders": []string(nil), "LogUntrustedProxyHeaders": false,
		"ClearUntrustedProxyHeaders": true, "AccessLog": false, "AccessLogFormat": DefaultAccessLogFormat,
		"Call": false, "Python": "", "App": "",
	}
	d := Default()
	for name, w := range want {
		if got := field(d, name); !reflect.DeepEqual(got, w) {
			t.Errorf("Default().%s = %#v, want %#v", name, got, w)
		}
	}
}

func TestParseArgsDefaultListen(t *testing.T) {
	o, err := ParseArgs([]string{"app:app"})
	if err != nil {
		t.Fatal(err)
	}
	// Waitress listens on IPv4 only by default: 0.0.0.0:8080.
	if want := []Addr{{"tcp4", "0.0.0.0:8080"}}; !reflect.DeepEqual(o.Addrs, want) {
		t.Errorf("Addrs = %v, want %v", o.Addrs, want)
	}
	if o.App != "app:app" {
		t.Errorf("App = %q", o.App)
	}
}

func TestParseArgsValues(t *testing.T) {
	tests := []struct {
		args  []string
		field string
		want  any
	}{
		{[]string{"--app=pkg.mod:make"}, "App", "pkg.mod:make"},
		{[]string{"--call", "m:f"}, "Call", true},
		{[]string{"--python=/venv/bin/python", "m:a"}, "Python", "/venv/bin/python"},
		{[]string{"--python", "/usr/bin/python3", "m:a"}, "Python", "/usr/bin/python3"},
		{[]string{"--host=127.0.0.1", "m:a"}, "Addrs", []Addr{{"tcp4", "127.0.0.1:8080"}}},
		{[]string{"--host", "::1", "m:a"}, "Addrs", []Addr{{"tcp6", "[::1]:8080"}}},
		{[]string{"--port=9000", "m:a"}, "Addrs", []Addr{{"tcp4", "0.0.0.0:9000"}}},
		{[]string{"--port=0", "m:a"}, "Port", 0},
		{[]string{"--host=127.0.0.1", "--port=65535", "m:a"}, "Addrs", []Addr{{"tcp4", "127.0.0.1:65535"}}},
		{[]string{"--server-name=example.com", "m:a"}, "ServerName", "example.com"},
		{[]string{"--unix-socket=/tmp/w.sock", "m:a"}, "Addrs", []Addr{{"unix", "/tmp/w.sock"}}},
		{[]string{"--unix-socket-perms=660", "m:a"}, "UnixSocketPerms", os.FileMode(0o660)},
		{[]string{"--unix-socket-perms=0o777", "m:a"}, "UnixSocketPerms", os.FileMode(0o777)},
		{[]string{"--unix-socket-perms=0600", "m:a"}, "UnixSocketPerms", os.FileMode(0o600)},
		{[]string{"--url-scheme=https", "m:a"}, "URLScheme", "https"},
		{[]string{"--url-prefix=app/", "m:a"}, "URLPrefix", "/app"},
		{[]string{"--url-prefix=//a/b//", "m:a"}, "URLPrefix", "/a/b"},
		{[]string{"--url-prefix=", "m:a"}, "URLPrefix", ""},
		{[]string{"--ident=myserver", "m:a"}, "Ident", "myserver"},
		{[]string{"--ident=", "m:a"}, "Ident", ""},
		{[]string{"--threads=16", "m:a"}, "Threads", 16},
		{[]string{"--threads", "2", "m:a"}, "Threads", 2},
		{[]string{"--threads= 8 ", "m:a"}, "Threads", 8},
		{[]string{"--threads=1_0", "m:a"}, "Threads", 10},
		{[]string{"--backlog=1", "m:a"}, "Backlog", 1},
		{[]string{"--backlog=2048", "m:a"}, "Backlog", 2048},
		{[]string{"--recv-bytes=65536", "m:a"}, "RecvBytes", 65536},
		{[]string{"--send-bytes=9000", "m:a"}, "SendBytes", 9000},
		{[]string{"--send-bytes=9000", "m:a"}, "Warnings", []string{"--send-bytes is deprecated and has no effect"}},
		{[]string{"--outbuf-overflow=1", "m:a"}, "OutbufOverflow", int64(1)},
		{[]string{"--outbuf-high-watermark=5000000000", "m:a"}, "OutbufHighWatermark", int64(5000000000)},
		{[]string{"--inbuf-overflow=1024", "m:a"}, "InbufOverflow", int64(1024)},
		{[]string{"--connection-limit=1000", "m:a"}, "ConnectionLimit", 1000},
		{[]string{"--cleanup-interval=5", "m:a"}, "CleanupInterval", 5 * time.Second},
		{[]string{"--channel-timeout=600", "m:a"}, "ChannelTimeout", 600 * time.Second},
		{[]string{"--log-socket-errors", "m:a"}, "LogSocketErrors", true},
		{[]string{"--no-log-socket-errors", "m:a"}, "LogSocketErrors", false},
		{[]string{"--max-request-header-size=1024", "m:a"}, "MaxRequestHeaderSize", 1024},
		{[]string{"--max-request-body-size=1", "m:a"}, "MaxRequestBodySize", int64(1)},
		{[]string{"--max-request-body-size=10737418240", "m:a"}, "MaxRequestBodySize", int64(10737418240)},
		{[]string{"--expose-tracebacks", "m:a"}, "ExposeTracebacks", true},
		{[]string{"--expose-tracebacks", "--no-expose-tracebacks", "m:a"}, "ExposeTracebacks", false},
		{[]string{"--asyncore-loop-timeout=5", "m:a"}, "AsyncoreLoopTimeout", 5},
		{[]string{"--asyncore-use-poll", "m:a"}, "AsyncoreUsePoll", true},
		{[]string{"--no-asyncore-use-poll", "m:a"}, "AsyncoreUsePoll", false},
		{[]string{"--channel-request-lookahead=5", "m:a"}, "ChannelRequestLookahead", 5},
		{[]string{"--trusted-proxy=10.0.0.1", "m:a"}, "TrustedProxy", "10.0.0.1"},
		// trusted_proxy alone trusts X-Forwarded-Proto, with a warning.
		{[]string{"--trusted-proxy=10.0.0.1", "m:a"}, "TrustedProxyHeaders", []string{"x-forwarded-proto"}},
		{[]string{"--trusted-proxy=*", "--trusted-proxy-count=2", "--trusted-proxy-headers=x-forwarded-for", "m:a"}, "TrustedProxyCount", 2},
		{[]string{"--trusted-proxy=*", "--trusted-proxy-headers=X-Forwarded-For x-forwarded-proto,X-FORWARDED-HOST", "m:a"},
			"TrustedProxyHeaders", []string{"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"}},
		{[]string{"--trusted-proxy=*", "--trusted-proxy-headers=forwarded", "m:a"}, "TrustedProxyHeaders", []string{"forwarded"}},
		{[]string{"--trusted-proxy=*", "--trusted-proxy-headers=forwarded", "m:a"}, "Warnings", []string(nil)},
		{[]string{"--log-untrusted-proxy-headers", "m:a"}, "LogUntrustedProxyHeaders", true},
		{[]string{"--no-log-untrusted-proxy-headers", "m:a"}, "LogUntrustedProxyHeaders", false},
		{[]string{"--clear-untrusted-proxy-headers", "m:a"}, "ClearUntrustedProxyHeaders", true},
		{[]string{"--no-clear-untrusted-proxy-headers", "m:a"}, "ClearUntrustedProxyHeaders", false},
		{[]string{"--no-ipv4", "--listen=*:8080", "m:a"}, "IPv4", false},
		{[]string{"--no-ipv6", "m:a"}, "IPv6", false},
		{[]string{"--ipv6", "m:a"}, "IPv6", true},
		{[]string{"--access-log", "m:a"}, "AccessLog", true},
		{[]string{"--access-log", "--no-access-log", "m:a"}, "AccessLog", false},
		{[]string{"--access-log-format=%(h)s %(s)s", "m:a"}, "AccessLogFormat", "%(h)s %(s)s"},
		// Unambiguous prefixes work, as with Python's getopt.
		{[]string{"--thr=3", "m:a"}, "Threads", 3},
		{[]string{"--expose", "m:a"}, "ExposeTracebacks", true},
		// An exact name wins over a longer one it prefixes.
		{[]string{"--unix-socket=/s", "m:a"}, "UnixSocket", "/s"},
		// Last one wins for ordinary options.
		{[]string{"--threads=2", "--threads=6", "m:a"}, "Threads", 6},
		// "--" ends the options.
		{[]string{"--", "--weird:app"}, "App", "--weird:app"},
	}
	for _, tt := range tests {
		o, err := ParseArgs(tt.args)
		if err != nil {
			t.Errorf("ParseArgs(%q): %v", tt.args, err)
			continue
		}
		if got := field(o, tt.field); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseArgs(%q).%s = %#v, want %#v", tt.args, tt.field, got, tt.want)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // the whole one-line error
	}{
		{[]string{"--threads=x", "m:a"}, `--threads: invalid value "x": must be a positive integer`},
		{[]string{"--threads=0", "m:a"}, `--threads: invalid value "0": must be a positive integer`},
		{[]string{"--threads=1.5", "m:a"}, `--threads: invalid value "1.5": must be a positive integer`},
		{[]string{"--port=65536", "m:a"}, `--port: invalid value "65536": must be a port number from 0 to 65535`},
		{[]string{"--port=-1", "m:a"}, `--port: invalid value "-1": must be a port number from 0 to 65535`},
		{[]string{"--port=http", "m:a"}, `--port: invalid value "http": must be a port number from 0 to 65535`},
		{[]string{"--backlog=-1", "m:a"}, `--backlog: invalid value "-1": must be a positive integer`},
		{[]string{"--recv-bytes=0", "m:a"}, `--recv-bytes: invalid value "0": must be a positive integer`},
		{[]string{"--send-bytes=-5", "m:a"}, `--send-bytes: invalid value "-5": must be a non-negative integer`},
		{[]string{"--outbuf-overflow=-1", "m:a"}, `--outbuf-overflow: invalid value "-1": must be a positive integer`},
		{[]string{"--outbuf-high-watermark=big", "m:a"}, `--outbuf-high-watermark: invalid value "big": must be a positive integer`},
		{[]string{"--inbuf-overflow=1e6", "m:a"}, `--inbuf-overflow: invalid value "1e6": must be a positive integer`},
		{[]string{"--connection-limit=0", "m:a"}, `--connection-limit: invalid value "0": must be a positive integer`},
		{[]string{"--cleanup-interval=0", "m:a"}, `--cleanup-interval: invalid value "0": must be a positive whole number of seconds`},
		{[]string{"--channel-timeout=2.5", "m:a"}, `--channel-timeout: invalid value "2.5": must be a positive whole number of seconds`},
		{[]string{"--max-request-header-size=0", "m:a"}, `--max-request-header-size: invalid value "0": must be a positive integer`},
		{[]string{"--max-request-body-size=-1", "m:a"}, `--max-request-body-size: invalid value "-1": must be a positive integer`},
		{[]string{"--max-request-body-size=0", "m:a"}, `--max-request-body-size: invalid value "0": must be a positive integer`},
		{[]string{"--inbuf-overflow=0", "m:a"}, `--inbuf-overflow: invalid value "0": must be a positive integer`},
		{[]string{"--asyncore-loop-timeout=x", "m:a"}, `--asyncore-loop-timeout: invalid value "x": must be a non-negative integer`},
		{[]string{"--channel-request-lookahead=-1", "m:a"}, `--channel-request-lookahead: invalid value "-1": must be a non-negative integer`},
		{[]string{"--unix-socket-perms=800", "m:a"}, `--unix-socket-perms: invalid value "800": must be octal permissions such as 600 or 0o660`},
		{[]string{"--unix-socket-perms=17777", "m:a"}, `--unix-socket-perms: invalid value "17777": must be octal permissions such as 600 or 0o660`},
		{[]string{"--trusted-proxy=*", "--trusted-proxy-count=0", "m:a"}, `--trusted-proxy-count: invalid value "0": must be a positive integer`},
		{[]string{"--access-log-format=", "m:a"}, `--access-log-format: invalid value "": must not be empty`},
		{[]string{"--python=", "m:a"}, `--python: invalid value "": must be the path of a Python interpreter`},
		{[]string{"--app="}, `--app: invalid value "": must name an application as MODULE:OBJECT`},
		{[]string{"--bogus", "m:a"}, `unknown option --bogus (see --help)`},
		{[]string{"-t", "m:a"}, `unknown option -t: options are long, like --threads=8 (see --help)`},
		{[]string{"--no-ipv", "m:a"}, `option --no-ipv is ambiguous: could be --no-ipv4, --no-ipv6`},
		{[]string{"--no-threads", "m:a"}, `unknown option --no-threads (see --help)`},
		{[]string{"--ipv4=yes", "m:a"}, `--ipv4 takes no value; use --ipv4 or --no-ipv4`},
		{[]string{"--call=1", "m:a"}, `--call takes no value`},
		{[]string{"m:a", "--threads"}, `option --threads comes after the application m:a; put options before MODULE:OBJECT`},
		{[]string{"--threads"}, `--threads needs a value, e.g. --threads=N`},
		{[]string{}, `Specify one application only: give it as MODULE:OBJECT`},
		{[]string{"a:b", "c:d"}, `Specify one application only; got a:b c:d`},
		{[]string{"--app=a:b", "c:d"}, `Specify one application only; got --app=a:b and c:d`},
		{[]string{""}, `the application argument is empty; give MODULE:OBJECT`},
		// Settings that cannot be combined (Waitress's Adjustments checks).
		{[]string{"--listen=127.0.0.1:80", "--host=127.0.0.1", "m:a"}, `--listen may not be used together with --host or --port`},
		{[]string{"--listen=127.0.0.1:80", "--port=80", "m:a"}, `--listen may not be used together with --host or --port`},
		{[]string{"--unix-socket=/s", "--port=80", "m:a"}, `--unix-socket may not be used together with --host or --port`},
		{[]string{"--unix-socket=/s", "--listen=*:80", "m:a"}, `--unix-socket may not be used together with --listen`},
		{[]string{"--trusted-proxy-count=2", "m:a"}, `--trusted-proxy-count has no meaning without --trusted-proxy`},
		{[]string{"--trusted-proxy-headers=x-forwarded-for", "m:a"}, `--trusted-proxy-headers has no meaning without --trusted-proxy`},
		{[]string{"--trusted-proxy=*", "--trusted-proxy-headers=x-forwarded-for x-real-ip", "m:a"},
			`--trusted-proxy-headers: unknown header x-real-ip; expected one of x-forwarded-for, x-forwarded-host, x-forwarded-proto, x-forwarded-port, x-forwarded-by, forwarded`},
		{[]string{"--trusted-proxy=*", "--trusted-proxy-headers=forwarded,x-forwarded-for", "m:a"},
			`--trusted-proxy-headers: the Forwarded header and the X-Forwarded-{By,Host,Proto,Port,For} headers are mutually exclusive; trust one kind only`},
		// Addresses that cannot be listened on.
		{[]string{"--listen=8080", "m:a"}, `--listen: "8080" is a port without a host; write *:8080 (every address) or 0.0.0.0:8080`},
		{[]string{"--listen=127.0.0.1:70000", "m:a"}, `--listen: invalid host/port "127.0.0.1:70000": port 70000 is out of range 0-65535`},
		{[]string{"--listen=:8080", "m:a"}, `--listen: invalid host/port ":8080": empty host (use * for every address)`},
		{[]string{"--listen=127.0.0.1:nosuchservice", "m:a"}, `--listen: invalid host/port "127.0.0.1:nosuchservice": unknown port "nosuchservice"`},
		{[]string{"--no-ipv4", "--host=127.0.0.1", "m:a"}, `--listen: invalid host/port "127.0.0.1:8080": "127.0.0.1" has no address of an enabled IP version (see --ipv4/--ipv6)`},
		{[]string{"--no-ipv6", "--listen=[::1]:80", "m:a"}, `--listen: invalid host/port "[::1]:80": "::1" has no address of an enabled IP version (see --ipv4/--ipv6)`},
		{[]string{"--listen=", "m:a"}, `--listen: no addresses to listen on`},
	}
	for _, tt := range tests {
		_, err := ParseArgs(tt.args)
		if err == nil {
			t.Errorf("ParseArgs(%q) succeeded, want error %q", tt.args, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseArgs(%q) error\n  %q\nwant\n  %q", tt.args, err.Error(), tt.want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseArgs(%q) error is not one line: %q", tt.args, err)
		}
	}
}

func TestParseArgsHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"--he"}, {"--threads=4", "--help"}, {"--help", "m:a"}} {
		if _, err := ParseArgs(args); !errors.Is(err, ErrHelp) {
			t.Errorf("ParseArgs(%q) = %v, want ErrHelp", args, err)
		}
	}
}

func TestListen(t *testing.T) {
	tests := []struct {
		args []string
		want []Addr
	}{
		{[]string{"--listen=127.0.0.1:8080"}, []Addr{{"tcp4", "127.0.0.1:8080"}}},
		{[]string{"--listen=[::1]:8080"}, []Addr{{"tcp6", "[::1]:8080"}}},
		{[]string{"--listen=[::1]"}, []Addr{{"tcp6", "[::1]:8080"}}},
		{[]string{"--listen=127.0.0.1"}, []Addr{{"tcp4", "127.0.0.1:8080"}}},
		{[]string{"--listen=127.0.0.1:"}, []Addr{{"tcp4", "127.0.0.1:0"}}},
		{[]string{"--listen=*:8080"}, []Addr{{"tcp4", "0.0.0.0:8080"}, {"tcp6", "[::]:8080"}}},
		{[]string{"--no-ipv6", "--listen=*:8080"}, []Addr{{"tcp4", "0.0.0.0:8080"}}},
		{[]string{"--no-ipv4", "--listen=*:8080"}, []Addr{{"tcp6", "[::]:8080"}}},
		// Both off means both on, as in Waitress (AF_UNSPEC).
		{[]string{"--no-ipv4", "--no-ipv6", "--listen=*:8080"}, []Addr{{"tcp4", "0.0.0.0:8080"}, {"tcp6", "[::]:8080"}}},
		{[]string{"--listen=*:http"}, []Addr{{"tcp4", "0.0.0.0:80"}, {"tcp6", "[::]:80"}}},
		{[]string{"--listen=127.0.0.1:8080", "--listen=[::1]:9090"}, []Addr{{"tcp4", "127.0.0.1:8080"}, {"tcp6", "[::1]:9090"}}},
		{[]string{"--listen=127.0.0.1:8080 [::1]:9090"}, []Addr{{"tcp4", "127.0.0.1:8080"}, {"tcp6", "[::1]:9090"}}},
		// Duplicates are dropped, except port 0 (each gets its own port).
		{[]string{"--listen=127.0.0.1:8080", "--listen=127.0.0.1:8080"}, []Addr{{"tcp4", "127.0.0.1:8080"}}},
		{[]string{"--listen=127.0.0.1:0", "--listen=127.0.0.1:0"}, []Addr{{"tcp4", "127.0.0.1:0"}, {"tcp4", "127.0.0.1:0"}}},
		{[]string{"--listen=[fe80::1%lo]:8080"}, []Addr{{"tcp6", "[fe80::1%lo]:8080"}}},
		{[]string{"--host=::", "--port=81"}, []Addr{{"tcp6", "[::]:81"}}},
		{[]string{"--host=[::1]"}, []Addr{{"tcp6", "[::1]:8080"}}},
	}
	for _, tt := range tests {
		o, err := ParseArgs(append(tt.args, "m:a"))
		if err != nil {
			t.Errorf("ParseArgs(%q): %v", tt.args, err)
			continue
		}
		if !reflect.DeepEqual(o.Addrs, tt.want) {
			t.Errorf("ParseArgs(%q).Addrs = %v, want %v", tt.args, o.Addrs, tt.want)
		}
	}
}

func TestListenResolvesNames(t *testing.T) {
	o, err := ParseArgs([]string{"--no-ipv6", "--listen=localhost:8080", "m:a"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range o.Addrs {
		if a.Network != "tcp4" {
			t.Errorf("--no-ipv6 gave %v", a)
		}
		found = found || a.Address == "127.0.0.1:8080"
	}
	if !found {
		t.Errorf("localhost:8080 resolved to %v, want 127.0.0.1:8080 among them", o.Addrs)
	}
	if _, err := ParseArgs([]string{"--listen=no-such-host.invalid:80", "m:a"}); err == nil || !strings.HasPrefix(err.Error(), `--listen: invalid host/port "no-such-host.invalid:80": cannot resolve`) {
		t.Errorf("unresolvable host: err = %v", err)
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name, value string
		field       string
		want        any
	}{
		// asbool: t, true, y, yes, on, 1 in any case; anything else is false.
		{"ipv6", "t", "IPv6", true},
		{"ipv6", "TRUE", "IPv6", true},
		{"ipv6", " Yes ", "IPv6", true},
		{"ipv6", "y", "IPv6", true},
		{"ipv6", "On", "IPv6", true},
		{"ipv6", "1", "IPv6", true},
		{"ipv4", "0", "IPv4", false},
		{"ipv4", "no", "IPv4", false},
		{"ipv4", "False", "IPv4", false},
		{"ipv4", "banana", "IPv4", false},
		{"expose_tracebacks", "True", "ExposeTracebacks", true},
		{"log_socket_errors", "false", "LogSocketErrors", false},
		{"asyncore_use_poll", "on", "AsyncoreUsePoll", true},
		{"clear_untrusted_proxy_headers", "0", "ClearUntrustedProxyHeaders", false},
		{"log_untrusted_proxy_headers", "yes", "LogUntrustedProxyHeaders", true},
		{"access_log", "true", "AccessLog", true},
		// aslist: whitespace, newlines and commas separate.
		{"listen", "127.0.0.1:80 [::1]:80\n*:81", "Listen", []string{"127.0.0.1:80", "[::1]:80", "*:81"}},
		{"listen", "a:1,b:2", "Listen", []string{"a:1", "b:2"}},
		{"trusted_proxy_headers", "X-Forwarded-For\nx-forwarded-proto x-forwarded-for", "TrustedProxyHeaders", []string{"x-forwarded-for", "x-forwarded-proto"}},
		// Integers as Python's int().
		{"threads", "+7", "Threads", 7},
		{"threads", "007", "Threads", 7},
		{"port", "8_000", "Port", 8000},
		{"channel_timeout", "30", "ChannelTimeout", 30 * time.Second},
		{"max_request_body_size", "1", "MaxRequestBodySize", int64(1)},
		// Octal permissions.
		{"unix_socket_perms", "644", "UnixSocketPerms", os.FileMode(0o644)},
		{"unix_socket_perms", "0o1777", "UnixSocketPerms", os.FileMode(0o777) | os.ModeSticky},
		{"unix_socket_perms", "2770", "UnixSocketPerms", os.FileMode(0o770) | os.ModeSetgid},
		{"url_prefix", " /a/ ", "URLPrefix", "/a"},
		{"url_prefix", "/", "URLPrefix", "/"},
		{"trusted_proxy", "", "TrustedProxy", ""},
		{"ident", "", "Ident", ""},
		{"server_name", "srv", "ServerName", "srv"},
		{"url_scheme", "https", "URLScheme", "https"},
		{"sockets", "3 4", "Sockets", []int{3, 4}},
		{"host", "example.com", "Host", "example.com"},
		{"unix_socket", "/run/app.sock", "UnixSocket", "/run/app.sock"},
	}
	for _, tt := range tests {
		o := Default()
		if err := o.Set(tt.name, tt.value); err != nil {
			t.Errorf("Set(%q, %q): %v", tt.name, tt.value, err)
			continue
		}
		if got := field(o, tt.field); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Set(%q, %q): %s = %#v, want %#v", tt.name, tt.value, tt.field, got, tt.want)
		}
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct{ name, value, want string }{
		{"threads", "four", `threads: invalid value "four": must be a positive integer`},
		{"threads", "1__0", `threads: invalid value "1__0": must be a positive integer`},
		{"threads", "_1", `threads: invalid value "_1": must be a positive integer`},
		{"threads", "", `threads: invalid value "": must be a positive integer`},
		{"threads", "99999999999999999999", `threads: invalid value "99999999999999999999": must be a positive integer`},
		{"port", "0x50", `port: invalid value "0x50": must be a port number from 0 to 65535`},
		{"unix_socket_perms", "rw", `unix_socket_perms: invalid value "rw": must be octal permissions such as 600 or 0o660`},
		{"unix_socket_perms", "-600", `unix_socket_perms: invalid value "-600": must be octal permissions such as 600 or 0o660`},
		{"sockets", "3 x", `sockets: invalid value "3 x": must be a list of open socket file descriptors`},
		{"no_such_option", "1", `unknown option "no_such_option"`},
		{"no_ipv4", "1", `unknown option "no_ipv4"`},
	}
	for _, tt := range tests {
		o := Default()
		err := o.Set(tt.name, tt.value)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Set(%q, %q) = %v, want %q", tt.name, tt.value, err, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	set := func(kv ...string) Options {
		o := Default()
		for i := 0; i < len(kv); i += 2 {
			if err := o.Set(kv[i], kv[i+1]); err != nil {
				t.Fatalf("Set(%q, %q): %v", kv[i], kv[i+1], err)
			}
		}
		return o
	}
	tests := []struct {
		o       Options
		wantErr string
	}{
		{set(), ""},
		{set("listen", "127.0.0.1:80", "host", "127.0.0.1"), "listen may not be used together with host or port"},
		{set("sockets", "3", "listen", "*:80"), "sockets may not be used together with listen"},
		{set("sockets", "3", "port", "80"), "sockets may not be used together with host or port"},
		{set("sockets", "3", "unix_socket", "/s"), "unix_socket may not be used together with sockets"},
		{set("unix_socket", "/s", "host", "h"), "unix_socket may not be used together with host or port"},
		{set("unix_socket", "/s", "listen", "h:1"), "unix_socket may not be used together with listen"},
		// Presence counts, not value: listen="" with port is still an error.
		{set("listen", "", "port", "8080"), "listen may not be used together with host or port"},
		{set("trusted_proxy_count", "3"), "trusted_proxy_count has no meaning without trusted_proxy"},
		{set("trusted_proxy", "", "trusted_proxy_headers", "forwarded"), "trusted_proxy_headers has no meaning without trusted_proxy"},
		{set("trusted_proxy", "1.2.3.4", "trusted_proxy_headers", "x-forwarded-host x-forwarded-port"), ""},
		{set("sockets", "3 4"), ""},
	}
	for i, tt := range tests {
		err := tt.o.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.wantErr {
			t.Errorf("case %d: Validate() = %q, want %q", i, got, tt.wantErr)
		}
	}

	o := set("trusted_proxy", "10.0.0.1")
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(o.Warnings) != 1 || !strings.Contains(o.Warnings[0], "X-Forwarded-Proto") {
		t.Errorf("trusted_proxy without headers: Warnings = %q, want the X-Forwarded-Proto notice", o.Warnings)
	}
	o = Default()
	o.Port = 9090
	if err := o.Validate(); err != nil || !reflect.DeepEqual(o.Addrs, []Addr{{"tcp4", "0.0.0.0:9090"}}) {
		t.Errorf("Port assigned directly: Validate() = %v, Addrs = %v; want 0.0.0.0:9090", err, o.Addrs)
	}
	o = set("sockets", "3")
	if err := o.Validate(); err != nil || len(o.Addrs) != 0 {
		t.Errorf("sockets: Validate() = %v, Addrs = %v; want no error and no Addrs", err, o.Addrs)
	}
}

func TestHelpMentionsEveryFlag(t *testing.T) {
	h := Help("waitress-serve")
	if !strings.HasPrefix(h, "Usage:\n\n    waitress-serve [OPTIONS] MODULE:OBJECT\n") {
		t.Errorf("help does not start with usage:\n%s", h)
	}
	for _, f := range cliFlags() {
		name := f.name
		if f.sp != nil && f.sp.kind == kindBool {
			name = "[no-]" + strings.TrimPrefix(name, "no-")
		}
		if !strings.Contains(h, "    --"+name) {
			t.Errorf("help lacks --%s", f.name)
		}
	}
	for _, want := range []string{"Not available on Windows", "has no effect here", "Default: 4.", "Default: 8080."} {
		if !strings.Contains(h, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	for _, line := range strings.Split(h, "\n") {
		if len(line) > helpWidth {
			t.Errorf("help line longer than %d: %q", helpWidth, line)
		}
	}
	// Every flag Waitress 3's getopt table accepts must exist here.
	waitress := []string{"help", "call", "host", "port", "ipv4", "no-ipv4", "ipv6", "no-ipv6", "listen", "threads",
		"trusted-proxy", "trusted-proxy-count", "trusted-proxy-headers", "log-untrusted-proxy-headers",
		"no-log-untrusted-proxy-headers", "clear-untrusted-proxy-headers", "no-clear-untrusted-proxy-headers",
		"url-scheme", "url-prefix", "backlog", "recv-bytes", "send-bytes", "outbuf-overflow", "outbuf-high-watermark",
		"inbuf-overflow", "connection-limit", "cleanup-interval", "channel-timeout", "log-socket-errors",
		"no-log-socket-errors", "max-request-header-size", "max-request-body-size", "expose-tracebacks",
		"no-expose-tracebacks", "ident", "asyncore-loop-timeout", "asyncore-use-poll", "no-asyncore-use-poll",
		"unix-socket", "unix-socket-perms", "channel-request-lookahead", "server-name"}
	flags := cliFlags()
	for _, w := range waitress {
		f, err := matchFlag(flags, w)
		if err != nil || f.name != w {
			t.Errorf("Waitress flag --%s missing: %v", w, err)
		}
	}
}
