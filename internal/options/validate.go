package options

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ConfigError reports settings that cannot be used together, or that
// cannot be resolved into addresses to listen on.
type ConfigError struct {
	Msg string
}

func (e *ConfigError) Error() string { return e.Msg }

// namer spells an option's name in errors: "listen" for Set/Validate
// callers, "--listen" on the command line.
type namer func(name string) string

func adjustmentName(name string) string { return name }

func flagName(name string) string { return "--" + strings.ReplaceAll(name, "_", "-") }

// resolveTimeout bounds each host name lookup, so a dead resolver gives an
// error instead of a hung start-up.
const resolveTimeout = 10 * time.Second

// Validate checks that the settings fit together, as Waitress's
// Adjustments does, and resolves where to listen into Addrs:
//
//   - listen cannot be combined with host or port, nor unix_socket with
//     host, port or listen, nor sockets with any of them;
//   - with no listen, host and port make the one address (default
//     0.0.0.0:8080, IPv4 only, exactly as Waitress);
//   - each listen entry is host:port, [v6addr]:port, *:port or a host
//     alone (port 8080); "*" means every address of the enabled families,
//     names are resolved, ipv4/ipv6 filter the results (both off means both,
//     as in Waitress) and duplicates are dropped;
//   - trusted_proxy_count and trusted_proxy_headers need trusted_proxy;
//     header names must be known and "forwarded" excludes the others;
//     trusted_proxy alone trusts x-forwarded-proto (with a warning).
func (o *Options) Validate() error {
	return o.validate(adjustmentName)
}

func (o *Options) validate(name namer) error {
	ex := o.explicit
	// Callers that assign Host or Port directly instead of using Set still
	// mean "listen there", as with Waitress's markers on the defaults.
	def := Default()
	ex.host = ex.host || o.Host != def.Host
	ex.port = ex.port || o.Port != def.Port
	switch {
	case ex.listen && (ex.host || ex.port):
		return &ConfigError{fmt.Sprintf("%s may not be used together with %s or %s", name("listen"), name("host"), name("port"))}
	case ex.listen && ex.sockets:
		return &ConfigError{fmt.Sprintf("%s may not be used together with %s", name("sockets"), name("listen"))}
	case ex.sockets && (ex.host || ex.port):
		return &ConfigError{fmt.Sprintf("%s may not be used together with %s or %s", name("sockets"), name("host"), name("port"))}
	case ex.sockets && ex.unixSocket:
		return &ConfigError{fmt.Sprintf("%s may not be used together with %s", name("unix_socket"), name("sockets"))}
	case ex.unixSocket && (ex.host || ex.port):
		return &ConfigError{fmt.Sprintf("%s may not be used together with %s or %s", name("unix_socket"), name("host"), name("port"))}
	case ex.unixSocket && ex.listen:
		return &ConfigError{fmt.Sprintf("%s may not be used together with %s", name("unix_socket"), name("listen"))}
	}

	o.Warnings = nil
	if ex.sendBytes {
		o.Warnings = append(o.Warnings, name("send_bytes")+" is deprecated and has no effect")
	}

	if err := o.validateProxy(name); err != nil {
		return err
	}

	if ex.host || ex.port {
		// Waitress rebuilds listen from host and port once either is given.
		o.Listen = []string{o.Host + ":" + strconv.Itoa(o.Port)}
	}

	o.Addrs = nil
	switch {
	case o.UnixSocket != "":
		if runtime.GOOS == "windows" {
			return &ConfigError{fmt.Sprintf("%s is not available on Windows", name("unix_socket"))}
		}
		o.Addrs = []Addr{{Network: "unix", Address: o.UnixSocket}}
		return nil
	case len(o.Sockets) > 0:
		return nil
	}
	addrs, err := resolveListen(o.Listen, o.Port, o.IPv4, o.IPv6)
	if err != nil {
		return &ConfigError{fmt.Sprintf("%s: %v", name("listen"), err)}
	}
	if len(addrs) == 0 {
		return &ConfigError{fmt.Sprintf("%s: no addresses to listen on", name("listen"))}
	}
	o.Addrs = addrs
	return nil
}

func (o *Options) validateProxy(name namer) error {
	if o.explicit.trustedProxyCount && o.TrustedProxy == "" {
		return &ConfigError{fmt.Sprintf("%s has no meaning without %s", name("trusted_proxy_count"), name("trusted_proxy"))}
	}
	if o.TrustedProxyCount < 1 {
		o.TrustedProxyCount = 1
	}
	if len(o.TrustedProxyHeaders) > 0 && o.TrustedProxy == "" {
		return &ConfigError{fmt.Sprintf("%s has no meaning without %s", name("trusted_proxy_headers"), name("trusted_proxy"))}
	}
	if len(o.TrustedProxyHeaders) == 0 {
		if o.TrustedProxy != "" {
			o.Warnings = append(o.Warnings, fmt.Sprintf(
				"%s is set but no proxy headers are trusted; trusting X-Forwarded-Proto only, as Waitress does for backwards compatibility (set %s)",
				name("trusted_proxy"), name("trusted_proxy_headers")))
			o.TrustedProxyHeaders = []string{"x-forwarded-proto"}
		}
		return nil
	}
	var unknown []string
	hasForwarded := false
	for i, h := range o.TrustedProxyHeaders {
		h = strings.ToLower(h)
		o.TrustedProxyHeaders[i] = h
		if !isKnownProxyHeader(h) {
			unknown = append(unknown, h)
		}
		hasForwarded = hasForwarded || h == "forwarded"
	}
	if len(unknown) > 0 {
		return &ConfigError{fmt.Sprintf("%s: unknown header %s; expected one of %s",
			name("trusted_proxy_headers"), strings.Join(unknown, ", "), strings.Join(KnownProxyHeaders, ", "))}
	}
	if hasForwarded && len(o.TrustedProxyHeaders) > 1 {
		return &ConfigError{fmt.Sprintf("%s: the Forwarded header and the X-Forwarded-{By,Host,Proto,Port,For} headers are mutually exclusive; trust one kind only",
			name("trusted_proxy_headers"))}
	}
	return nil
}

// splitListen splits one listen entry as Waitress does: on the last colon,
// unless that would cut an unbracketed-port "[v6]" entry; a host alone uses
// defPort.
func splitListen(entry string, defPort int) (host, port string) {
	i := strings.LastIndexByte(entry, ':')
	if i < 0 || strings.Contains(entry[i+1:], "]") {
		host, port = entry, strconv.Itoa(defPort)
	} else {
		host, port = entry[:i], entry[i+1:]
	}
	if strings.Contains(host, "[") && strings.Contains(host, "]") {
		host = strings.TrimRight(strings.TrimLeft(host, "["), "]")
	}
	return host, port
}

func resolveListen(entries []string, defPort int, ipv4, ipv6 bool) ([]Addr, error) {
	// Both families off means "any family" in Waitress (AF_UNSPEC).
	want4, want6 := ipv4 || !ipv6, ipv6 || !ipv4
	type hp struct {
		host string
		port int
	}
	var out []Addr
	seen := map[hp]bool{}
	for _, entry := range entries {
		host, portStr := splitListen(entry, defPort)
		if !strings.Contains(entry, ":") && isDigits(entry) {
			// Waitress would read "8080" as the IPv4 address 0.0.31.144.
			return nil, fmt.Errorf("%q is a port without a host; write *:%s (every address) or 0.0.0.0:%s", entry, entry, entry)
		}
		port, err := resolvePort(portStr)
		if err != nil {
			return nil, fmt.Errorf("invalid host/port %q: %v", entry, err)
		}
		ips, err := resolveHost(host, want4, want6)
		if err != nil {
			return nil, fmt.Errorf("invalid host/port %q: %v", entry, err)
		}
		for _, ip := range ips {
			key := hp{ip.WithZone("").String(), port}
			if port != 0 && seen[key] {
				continue
			}
			seen[key] = true
			network := "tcp6"
			if ip.Is4() {
				network = "tcp4"
			}
			out = append(out, Addr{Network: network, Address: net.JoinHostPort(ip.String(), strconv.Itoa(port))})
		}
	}
	return out, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// resolvePort accepts a number (an empty port is 0, as getaddrinfo treats
// it) or a service name such as "http".
func resolvePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if isDigits(s) {
		n, err := strconv.Atoi(s)
		if err != nil || n > 65535 {
			return 0, fmt.Errorf("port %s is out of range 0-65535", s)
		}
		return n, nil
	}
	n, err := net.LookupPort("tcp", s)
	if err != nil {
		return 0, fmt.Errorf("unknown port %q", s)
	}
	return n, nil
}

func resolveHost(host string, want4, want6 bool) ([]netip.Addr, error) {
	if host == "*" {
		var ips []netip.Addr
		if want4 {
			ips = append(ips, netip.IPv4Unspecified())
		}
		if want6 {
			ips = append(ips, netip.IPv6Unspecified())
		}
		return ips, nil
	}
	if host == "" {
		return nil, errors.New("empty host (use * for every address)")
	}
	var candidates []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		candidates = []netip.Addr{ip}
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
		defer cancel()
		found, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("cannot resolve %q: %v", host, err)
		}
		for _, ip := range found {
			candidates = append(candidates, ip.Unmap())
		}
	}
	var ips []netip.Addr
	for _, ip := range candidates {
		if (ip.Is4() && want4) || (!ip.Is4() && want6) {
			ips = append(ips, ip)
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%q has no address of an enabled IP version (see --ipv4/--ipv6)", host)
	}
	return ips, nil
}
