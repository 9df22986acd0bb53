package proxy

import "strings"

// Reasons, as Waitress words them (they appear in the logged warning).
const (
	reasonQuoting  = "Invalid quoting in value"
	reasonMultiple = "Unspecified behavior for multiple values found in header"
	reasonNoEquals = `Invalid forwarded-pair missing "="`
	reasonTokenWS  = "Token may not be surrounded by whitespace"
	reasonValueWS  = "Value may not be surrounded by whitespace"
	reasonProto    = "unsupported proto value"
	// Waitress fails with an IndexError (a 500) on an address that is empty
	// once brackets and port are taken off; we report it as malformed.
	reasonEmptyAddr = "empty client address"
)

type forwardedElem struct{ by, for_, host, proto string }

// parse is Waitress's parse_proxy_headers for a trusted peer: it updates
// env and res.Replace and returns which proxy headers remain untrusted.
// The order of checks follows Waitress, so the same request fails on the
// same header.
func parse(cfg *Config, p *present, env *Env, res *Result) (untrusted [numHeaders]bool, err error) {
	untrusted = [numHeaders]bool{true, true, true, true, true, true}
	trusted := cfg.TrustedProxyHeaders
	count := cfg.TrustedProxyCount
	if count < 1 {
		count = 1
	}

	var forwardedHost, forwardedProto, forwardedPort, clientAddr string
	clientSrc := ""

	if trusted["x-forwarded-for"] && p.has[hFor] {
		raw := strings.Split(p.value[hFor], ",")
		hops := make([]string, 0, len(raw))
		for _, hop := range raw {
			hop, err := undquote(pyStrip(hop))
			if err != nil {
				return untrusted, &MalformedError{Header: "X-Forwarded-For", Reason: err.Error(), Value: p.value[hFor]}
			}
			// A bare IPv6 address gets brackets, so a later split on ':'
			// does not take its last group for a port.
			if !strings.Contains(hop, ".") && strings.Contains(hop, ":") && !strings.HasSuffix(hop, "]") {
				hop = "[" + hop + "]"
			}
			hops = append(hops, hop)
		}
		clientAddr = lastN(hops, count)[0]
		clientSrc = "X-Forwarded-For"
		untrusted[hFor] = false
		res.Replace = append(res.Replace, Header{Name: []byte(headerNames[hFor]), Value: []byte(pyStrip(strings.Join(lastN(raw, count), ",")))})
	}

	if trusted["x-forwarded-host"] && p.has[hHost] {
		raw := strings.Split(p.value[hHost], ",")
		hosts := make([]string, 0, len(raw))
		for _, h := range raw {
			h, err := undquote(pyStrip(h))
			if err != nil {
				return untrusted, &MalformedError{Header: "X-Forwarded-Host", Reason: err.Error(), Value: p.value[hHost]}
			}
			hosts = append(hosts, h)
		}
		forwardedHost = lastN(hosts, count)[0]
		untrusted[hHost] = false
		res.Replace = append(res.Replace, Header{Name: []byte(headerNames[hHost]), Value: []byte(pyStrip(strings.Join(lastN(raw, count), ",")))})
	}

	if trusted["x-forwarded-proto"] {
		v, err := undquote(p.value[hProto])
		if err == nil && strings.Contains(v, ",") {
			err = errString(reasonMultiple)
		}
		if err != nil {
			return untrusted, &MalformedError{Header: "X-Forwarded-Proto", Reason: err.Error(), Value: p.value[hProto]}
		}
		forwardedProto = v
		untrusted[hProto] = false
	}

	if trusted["x-forwarded-port"] {
		v, err := undquote(p.value[hPort])
		if err == nil && strings.Contains(v, ",") {
			err = errString(reasonMultiple)
		}
		if err != nil {
			return untrusted, &MalformedError{Header: "X-Forwarded-Port", Reason: err.Error(), Value: p.value[hPort]}
		}
		forwardedPort = v
		untrusted[hPort] = false
	}

	if trusted["x-forwarded-by"] {
		// Not used by the server, but the application may read it.
		untrusted[hBy] = false
	}

	forwarded := ""
	if trusted["forwarded"] {
		forwarded = p.value[hForwarded]
		untrusted = [numHeaders]bool{true, true, true, true, true, false}
	}

	if forwarded != "" {
		raw := strings.Split(forwarded, ",")
		elems := make([]forwardedElem, 0, len(raw))
		var el forwardedElem
		for _, element := range raw {
			el = forwardedElem{}
			for _, pair := range strings.Split(pyStrip(element), ";") {
				pair = pyLower(pair)
				if pair == "" {
					continue
				}
				token, value, ok := strings.Cut(pair, "=")
				var reason string
				switch {
				case !ok:
					reason = reasonNoEquals
				case pyStrip(token) != token:
					reason = reasonTokenWS
				case pyStrip(value) != value:
					reason = reasonValueWS
				}
				if reason != "" {
					return untrusted, &MalformedError{Header: "Forwarded", Reason: reason, Value: forwarded}
				}
				var dst *string
				switch token {
				case "by":
					dst = &el.by
				case "for":
					dst = &el.for_
				case "host":
					dst = &el.host
				case "proto":
					dst = &el.proto
				default:
					res.Warnings = append(res.Warnings, "Unknown Forwarded token: "+token)
					continue
				}
				v, err := undquote(value)
				if err != nil {
					return untrusted, &MalformedError{Header: "Forwarded", Reason: err.Error(), Value: forwarded}
				}
				*dst = v
			}
			elems = append(elems, el)
		}
		// Waitress's parsing loop reuses its X-Forwarded-* variables, so
		// they are left holding the last element's values (and no port).
		forwardedHost, forwardedProto, forwardedPort = el.host, el.proto, ""

		elems = lastN(elems, count)
		res.Replace = append(res.Replace, Header{Name: []byte(headerNames[hForwarded]), Value: []byte(pyStrip(strings.Join(lastN(raw, count), ",")))})
		// The oldest trusted hop that says something wins: it describes
		// the request as the client made it.
		for i := len(elems) - 1; i >= 0; i-- {
			if elems[i].for_ != "" {
				clientAddr, clientSrc = elems[i].for_, "Forwarded"
			}
			if elems[i].host != "" {
				forwardedHost = elems[i].host
			}
			if elems[i].proto != "" {
				forwardedProto = elems[i].proto
			}
		}
	}

	if forwardedProto != "" {
		forwardedProto = pyLower(forwardedProto)
		if forwardedProto != "http" && forwardedProto != "https" {
			header := "X-Forwarded-Proto"
			if forwarded != "" {
				header = "Forwarded Proto="
			}
			return untrusted, &MalformedError{Header: header, Reason: reasonProto, Value: forwardedProto}
		}
		env.URLScheme = forwardedProto
		if forwardedPort == "" {
			if forwardedProto == "http" {
				forwardedPort = "80"
			} else {
				forwardedPort = "443"
			}
		}
	}

	if forwardedHost != "" {
		if i := strings.LastIndexByte(forwardedHost, ':'); i >= 0 && !strings.HasSuffix(forwardedHost, "]") {
			// A port in the forwarded host beats X-Forwarded-Port and the
			// port implied by the proto.
			forwardedPort = forwardedHost[i+1:]
			env.ServerName = pyStrip(forwardedHost[:i])
			env.Host = forwardedHost
		} else {
			env.ServerName = forwardedHost
			env.Host = forwardedHost
			switch {
			case forwardedPort == "":
			case forwardedPort != "443" && forwardedPort != "80",
				forwardedPort == "80" && env.URLScheme != "http",
				forwardedPort == "443" && env.URLScheme != "https":
				env.Host = forwardedHost + ":" + forwardedPort
			}
		}
	}

	if forwardedPort != "" {
		env.ServerPort = forwardedPort
	}

	if clientAddr != "" {
		addr, port, hasPort := clientAddr, "", false
		if i := strings.LastIndexByte(clientAddr, ':'); i >= 0 && !strings.HasSuffix(clientAddr, "]") {
			addr, port, hasPort = clientAddr[:i], pyStrip(clientAddr[i+1:]), true
		}
		addr = pyStrip(addr)
		if addr == "" {
			return untrusted, &MalformedError{Header: clientSrc, Reason: reasonEmptyAddr, Value: p.value[srcIndex(clientSrc)]}
		}
		env.RemoteAddr = stripBrackets(addr)
		if hasPort {
			env.RemotePort = port
		}
		env.RemoteHost = env.RemoteAddr
	}
	return untrusted, nil
}

func srcIndex(src string) int {
	if src == "Forwarded" {
		return hForwarded
	}
	return hFor
}

type errString string

func (e errString) Error() string { return string(e) }

// lastN is Python's s[-n:] for n >= 1.
func lastN[T any](s []T, n int) []T {
	if n >= len(s) {
		return s
	}
	return s[len(s)-n:]
}

func stripBrackets(s string) string {
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	// Python's s[0] == "[" and s[-1] == "]" is also true for s == "[",
	// but slicing it gives "" — unreachable here as "[" has no "]".
	return s
}

// pyIsSpace reports whether Latin-1 byte c is whitespace to Python's
// str.strip().
func pyIsSpace(c byte) bool {
	return (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0
}

// pyStrip is Python's str.strip() on a Latin-1 string.
func pyStrip(s string) string {
	i, j := 0, len(s)
	for i < j && pyIsSpace(s[i]) {
		i++
	}
	for j > i && pyIsSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// pyLower is Python's str.lower() on a Latin-1 string.
func pyLower(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('A' <= c && c <= 'Z') || (0xc0 <= c && c <= 0xde && c != 0xd7) {
			if b == nil {
				b = []byte(s)
			}
			b[i] = c + 0x20
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}

// undquote is Waitress's undquote: a value wrapped in double quotes must
// be a valid quoted-string and is unescaped; a value with a quote at only
// one end is an error; anything else is returned as is.
func undquote(v string) (string, error) {
	starts := strings.HasPrefix(v, `"`)
	ends := strings.HasSuffix(v, `"`)
	if !starts && !ends {
		return v, nil
	}
	if !starts || !ends || len(v) < 2 {
		return "", errString(reasonQuoting)
	}
	var b strings.Builder
	inner := v[1 : len(v)-1]
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		switch {
		case c == '\\':
			if i+1 >= len(inner) || !isQuotedPairChar(inner[i+1]) {
				return "", errString(reasonQuoting)
			}
			i++
			b.WriteByte(inner[i])
		case isQDText(c):
			b.WriteByte(c)
		default:
			return "", errString(reasonQuoting)
		}
	}
	return b.String(), nil
}

// isQDText is RFC 7230's qdtext: HTAB, SP, and visible characters other
// than '"' and '\', plus obs-text.
func isQDText(c byte) bool {
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || c >= 0x80
}

// isQuotedPairChar is what may follow '\' in a quoted-pair.
func isQuotedPairChar(c byte) bool {
	return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7e) || c >= 0x80
}
