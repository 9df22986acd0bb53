package server

import (
	"errors"
	"strings"

	"github.com/waitress-go/waitress-go/internal/http1"
	"github.com/waitress-go/waitress-go/internal/proxy"
	"github.com/waitress-go/waitress-go/internal/wsgi"
)

func proxyConfig(cfg *Config) proxy.Config {
	pc := proxy.Config{
		TrustedProxy:        cfg.TrustedProxy,
		TrustedProxyCount:   cfg.TrustedProxyCount,
		TrustedProxyHeaders: make(map[string]bool, len(cfg.TrustedProxyHeaders)),
		LogUntrusted:        cfg.LogUntrustedProxyHeaders,
		ClearUntrusted:      cfg.ClearUntrustedProxyHeaders,
	}
	for _, h := range cfg.TrustedProxyHeaders {
		pc.TrustedProxyHeaders[strings.ToLower(h)] = true
	}
	return pc
}

// applyProxy runs Waitress's proxy_headers_middleware over c.env: trusted proxy headers
// rewrite the environ, untrusted ones are removed. It returns the error for a malformed
// trusted header, which the caller answers with 400 as the middleware does.
func (c *conn) applyProxy(r *http1.Request) *proxy.MalformedError {
	s := c.srv
	hs := c.proxyHeaders[:0]
	for _, h := range r.Headers {
		hs = append(hs, proxy.Header{Name: h.Name, Value: h.Value})
	}
	c.proxyHeaders = hs

	env := proxy.Env{
		RemoteAddr: string(c.remoteAddr),
		RemoteHost: string(c.remoteAddr),
		RemotePort: string(c.remotePort),
		Host:       string(r.Host),
		ServerName: s.cfg.ServerName,
		ServerPort: string(c.serverPort),
		URLScheme:  s.cfg.URLScheme,
	}
	orig := env
	res, err := proxy.Apply(&s.proxyCfg, hs, &env, c.ln.isUnix)
	if err != nil {
		var me *proxy.MalformedError
		if errors.As(err, &me) {
			s.logf(levelWarn, "%s", me.LogMessage(string(c.remoteAddr)))
			return me
		}
		// Apply documents only MalformedError; treat anything else the same way.
		me = &proxy.MalformedError{Header: "Forwarded", Reason: err.Error()}
		s.logf(levelWarn, "%s", me.LogMessage(string(c.remoteAddr)))
		return me
	}
	for _, w := range res.Warnings {
		s.logf(levelWarn, "%s", w)
	}
	set := func(key, old, v string) {
		if v != old {
			c.setEnv(key, []byte(v))
		}
	}
	set("REMOTE_ADDR", orig.RemoteAddr, env.RemoteAddr)
	set("REMOTE_HOST", orig.RemoteHost, env.RemoteHost)
	set("REMOTE_PORT", orig.RemotePort, env.RemotePort)
	set("HTTP_HOST", orig.Host, env.Host)
	set("SERVER_NAME", orig.ServerName, env.ServerName)
	set("SERVER_PORT", orig.ServerPort, env.ServerPort)
	set("wsgi.url_scheme", orig.URLScheme, env.URLScheme)
	for _, h := range res.Replace {
		c.setEnv(envKey(h.Name), h.Value)
	}
	for _, name := range res.Remove {
		c.delEnv(envKey([]byte(name)))
	}
	return nil
}

func (c *conn) setEnv(key string, v []byte) {
	for i := range c.env {
		if c.env[i].Key == key {
			c.env[i].Value = v
			return
		}
	}
	c.env = append(c.env, wsgi.EnvVar{Key: key, Value: v})
}

func (c *conn) delEnv(key string) {
	for i := range c.env {
		if c.env[i].Key == key {
			c.env = append(c.env[:i], c.env[i+1:]...)
			return
		}
	}
}
