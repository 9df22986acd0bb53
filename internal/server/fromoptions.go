package server

import "github.com/waitress-go/waitress-go/internal/options"

// ConfigFromOptions maps validated options onto the server's settings; every front end (the
// waitress-serve command, the Python extension) builds its Config this way.
func ConfigFromOptions(o *options.Options) Config {
	c := DefaultConfig()
	c.Addrs = c.Addrs[:0]
	for _, a := range o.Addrs {
		c.Addrs = append(c.Addrs, Addr{Network: a.Network, Address: a.Address})
	}
	c.UnixSocketPerms = o.UnixSocketPerms
	c.Backlog = o.Backlog
	c.URLScheme = o.URLScheme
	c.URLPrefix = o.URLPrefix
	c.Ident = o.Ident
	c.ServerName = o.ServerName
	c.RecvBytes = o.RecvBytes
	c.SendBytes = o.SendBytes
	c.OutbufOverflow = o.OutbufOverflow
	c.OutbufHighWatermark = o.OutbufHighWatermark
	c.InbufOverflow = o.InbufOverflow
	c.ConnectionLimit = o.ConnectionLimit
	c.CleanupInterval = o.CleanupInterval
	c.ChannelTimeout = o.ChannelTimeout
	c.LogSocketErrors = o.LogSocketErrors
	c.MaxRequestHeaderSize = o.MaxRequestHeaderSize
	c.MaxRequestBodySize = o.MaxRequestBodySize
	c.ExposeTracebacks = o.ExposeTracebacks
	c.ChannelRequestLookahead = o.ChannelRequestLookahead
	c.TrustedProxy = o.TrustedProxy
	c.TrustedProxyCount = o.TrustedProxyCount
	c.TrustedProxyHeaders = o.TrustedProxyHeaders
	c.LogUntrustedProxyHeaders = o.LogUntrustedProxyHeaders
	c.ClearUntrustedProxyHeaders = o.ClearUntrustedProxyHeaders
	return c
}
