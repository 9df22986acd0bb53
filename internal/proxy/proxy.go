// Package proxy applies Waitress's trusted proxy header rules
// (waitress/proxy_headers.py) to one request: deciding whether the peer is
// the trusted proxy, rewriting the environ from X-Forwarded-* or Forwarded,
// and choosing which untrusted proxy headers to remove. It is a pure
// function over header bytes, so it can be tested and fuzzed alone.
package proxy

import (
	"fmt"
	"strings"
)

// Config is the proxy part of the server options.
type Config struct {
	// TrustedProxy is the peer address to trust ("*" trusts every peer,
	// "localhost" matches Unix socket peers); empty trusts nobody.
	TrustedProxy string
	// TrustedProxyCount is how many hops of X-Forwarded-For/-Host and
	// Forwarded are believed; values below 1 mean 1.
	TrustedProxyCount int
	// TrustedProxyHeaders are the lowercase names of the headers to believe.
	TrustedProxyHeaders map[string]bool
	// LogUntrusted asks for Result.Warning when untrusted headers are removed.
	LogUntrusted bool
	// ClearUntrusted removes untrusted proxy headers from the environ.
	ClearUntrusted bool
}

// Env is the part of the WSGI environ that proxy headers may change.
// Values are header bytes as Latin-1, like the environ's. An empty Host
// means the request had no Host header; Apply only ever sets it non-empty.
type Env struct {
	RemoteAddr string // REMOTE_ADDR
	RemoteHost string // REMOTE_HOST
	RemotePort string // REMOTE_PORT
	Host       string // HTTP_HOST
	ServerName string // SERVER_NAME
	ServerPort string // SERVER_PORT
	URLScheme  string // wsgi.url_scheme
}

// Header is one request header as received: Name in any case.
type Header struct {
	Name, Value []byte
}

// Result says what to do with the request's proxy headers besides the Env
// changes.
type Result struct {
	// Remove are the lowercase names of headers to drop from the environ
	// (present, untrusted, and Config.ClearUntrusted set).
	Remove []string
	// Replace are header values to put in the environ instead of the
	// received ones (lowercase Name): trusted X-Forwarded-For,
	// X-Forwarded-Host and Forwarded are cut to the trusted hops.
	Replace []Header
	// Warnings are log lines Waitress would emit at WARNING level: the
	// "Removed untrusted headers (...)" notice when Config.LogUntrusted, and
	// "Unknown Forwarded token: ..." for each unknown Forwarded parameter.
	Warnings []string
}

// MalformedError reports a trusted proxy header that cannot be used; the
// server answers 400 Bad Request with Detail() as the body text and logs
// LogMessage.
type MalformedError struct {
	Header string // header as Waitress names it, e.g. "X-Forwarded-For" or "Forwarded Proto="
	Reason string
	Value  string
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("malformed proxy header %q: %s value: %s", e.Header, e.Reason, e.Value)
}

// Detail is the text of the 400 response, as in Waitress.
func (e *MalformedError) Detail() string {
	return fmt.Sprintf("Header \"%s\" malformed.", e.Header)
}

// LogMessage is the warning Waitress logs for this error from peer.
func (e *MalformedError) LogMessage(peer string) string {
	return fmt.Sprintf("Malformed proxy header \"%s\" from \"%s\": %s value: %s", e.Header, peer, e.Reason, e.Value)
}

// proxy header indexes, in the order Warnings lists them.
const (
	hFor = iota
	hHost
	hProto
	hPort
	hBy
	hForwarded
	numHeaders
)

// headerNames are the lowercase names of the proxy headers.
var headerNames = [numHeaders]string{"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-by", "forwarded"}

// displayNames are the names Waitress prints in its removal warning.
var displayNames = [numHeaders]string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-By", "Forwarded"}

// present holds the proxy headers of a request, combined the way Waitress's
// parser combines repeated fields.
type present struct {
	has   [numHeaders]bool
	value [numHeaders]string
}

func collect(headers []Header) present {
	var p present
	for _, h := range headers {
		// Waitress drops header names containing "_" so they cannot pose as
		// their "-" spelling in the environ.
		if strings.IndexByte(string(h.Name), '_') >= 0 {
			continue
		}
		for i, name := range headerNames {
			if !strings.EqualFold(string(h.Name), name) {
				continue
			}
			v := strings.Trim(string(h.Value), " \t")
			if p.has[i] {
				p.value[i] += ", " + v
			} else {
				p.has[i] = true
				p.value[i] = v
			}
		}
	}
	return p
}

// Apply processes the proxy headers of one request from a peer at
// env.RemoteAddr. A Unix socket peer is "localhost" for the trust check, as
// in Waitress (whose REMOTE_ADDR is "localhost" there too). If the peer is trusted, env is rewritten from the
// trusted headers exactly as Waitress does; otherwise env is left alone.
// Untrusted proxy headers — all of them from an untrusted peer, those not
// listed in TrustedProxyHeaders from a trusted one — are returned in
// Result.Remove when ClearUntrusted is set. A trusted header that cannot be
// used gives a *MalformedError and leaves env unchanged.
func Apply(cfg *Config, headers []Header, env *Env, isUnix bool) (Result, error) {
	var res Result
	if cfg.TrustedProxy == "" && !cfg.ClearUntrusted {
		// Waitress does not install its proxy middleware at all here.
		return res, nil
	}
	p := collect(headers)
	peer := env.RemoteAddr
	if isUnix {
		peer = "localhost"
	}
	untrusted := [numHeaders]bool{true, true, true, true, true, true}
	if cfg.TrustedProxy == "*" || (cfg.TrustedProxy != "" && peer == cfg.TrustedProxy) {
		work := *env
		var err error
		untrusted, err = parse(cfg, &p, &work, &res)
		if err != nil {
			return Result{Warnings: res.Warnings}, err
		}
		*env = work
	}
	if !cfg.ClearUntrusted {
		res.Remove = nil
		return res, nil
	}
	var removed []string
	for i := range headerNames {
		if untrusted[i] && p.has[i] {
			res.Remove = append(res.Remove, headerNames[i])
			removed = append(removed, displayNames[i])
		}
	}
	// A header can be read and still end up untrusted (trusting Forwarded
	// un-trusts X-Forwarded-* even if they are listed); removal wins.
	kept := res.Replace[:0]
	for _, h := range res.Replace {
		if !contains(res.Remove, string(h.Name)) {
			kept = append(kept, h)
		}
	}
	res.Replace = kept
	if cfg.LogUntrusted && len(removed) > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"Removed untrusted headers (%s). Waitress recommends these be removed upstream.",
			strings.Join(removed, ", ")))
	}
	return res, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
