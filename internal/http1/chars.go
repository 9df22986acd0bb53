package http1

import "net/netip"

// Character classes used by the parser, one bit per class, looked up by byte value.
const (
	classToken  = 1 << iota // RFC 9110 tchar
	classField              // field-vchar, SP, HTAB: legal anywhere in a field value
	classTarget             // byte allowed in a request-target (visible ASCII and obs-text)
	classHost               // unreserved / sub-delims / ":" / "%": legal in a host[:port]
	classQdText             // qdtext of a quoted-string
	classHex                // HEXDIG
)

// charClass maps each byte to its class bits. It is computed once and never written again.
var charClass = buildCharClass()

func buildCharClass() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		isAlnum := b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
		if isAlnum || containsByte("!#$%&'*+-.^_`|~", b) {
			t[c] |= classToken
		}
		if b == ' ' || b == '\t' || b >= 0x21 && b != 0x7f {
			t[c] |= classField
		}
		if b > 0x20 && b != 0x7f {
			t[c] |= classTarget
		}
		if isAlnum || containsByte("-._~!$&'()*+,;=:%", b) {
			t[c] |= classHost
		}
		if b == '\t' || b == ' ' || b == 0x21 || b >= 0x23 && b <= 0x5b || b >= 0x5d && b <= 0x7e || b >= 0x80 {
			t[c] |= classQdText
		}
		if b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' {
			t[c] |= classHex
		}
	}
	return t
}

func containsByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if charClass[c]&classToken == 0 {
			return false
		}
	}
	return true
}

func unhex(c byte) int64 {
	switch {
	case c >= '0' && c <= '9':
		return int64(c - '0')
	case c >= 'a' && c <= 'f':
		return int64(c-'a') + 10
	default:
		return int64(c-'A') + 10
	}
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// equalFold reports whether b equals the lower-case ASCII string s, ignoring ASCII case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// trimOWS strips the optional whitespace (SP and HTAB only, as RFC 9110 defines it) around b.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// validHost reports whether b is a valid uri-host [":" port] (RFC 9110 §7.2, RFC 3986 §3.2.2).
// userinfo ("@") is refused, as RFC 9110 §4.2.4 asks of recipients.
func validHost(b []byte) bool {
	if len(b) > 0 && b[0] == '[' {
		end := -1
		for i := 1; i < len(b); i++ {
			if b[i] == ']' {
				end = i
				break
			}
		}
		if end < 2 {
			return false
		}
		if !validIPLiteral(b[1:end]) {
			return false
		}
		b = b[end+1:]
		if len(b) == 0 {
			return true
		}
		if b[0] != ':' {
			return false
		}
		return allDigits(b[1:])
	}
	colon := -1
	for i, c := range b {
		if c == ':' {
			colon = i
			break
		}
		if charClass[c]&classHost == 0 {
			return false
		}
		if c == '%' && (i+2 >= len(b) || charClass[b[i+1]]&classHex == 0 || charClass[b[i+2]]&classHex == 0) {
			return false
		}
	}
	if colon < 0 {
		return true
	}
	return allDigits(b[colon+1:])
}

// allDigits reports whether b holds only ASCII digits (the empty string does: RFC 3986 port = *DIGIT).
func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validIPLiteral reports whether b, the inside of "[...]", is an IPv6 address or an IPvFuture
// (RFC 3986 §3.2.2). Zone identifiers are not accepted.
func validIPLiteral(b []byte) bool {
	if b[0] == 'v' || b[0] == 'V' {
		dot := -1
		for i, c := range b {
			if c == '.' {
				dot = i
				break
			}
		}
		if dot < 2 || dot == len(b)-1 {
			return false
		}
		for _, c := range b[1:dot] {
			if charClass[c]&classHex == 0 {
				return false
			}
		}
		for _, c := range b[dot+1:] {
			if c == '%' || charClass[c]&classHost == 0 {
				return false
			}
		}
		return true
	}
	for _, c := range b {
		if c != ':' && c != '.' && charClass[c]&classHex == 0 {
			return false
		}
	}
	a, err := netip.ParseAddr(string(b))
	return err == nil && a.Is6()
}
