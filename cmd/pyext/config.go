//go:build unix

package main

import (
	"github.com/waitress-go/waitress-go/internal/options"
	"github.com/waitress-go/waitress-go/internal/server"
)

// serverConfig maps the options onto the server's settings, as cmd/waitress-serve does.
func serverConfig(o *options.Options) server.Config {
	c := server.DefaultConfig()
	c.Addrs = c.Addrs[:0]
	for _, a := range o.Addrs {
		c.Addrs = append(c.Addrs, server.Addr{Network: a.Network, Address: a.Address})
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
