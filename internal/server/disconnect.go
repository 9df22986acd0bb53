package server

// disconnected backs environ["waitress.client_disconnected"]: it reports whether the client
// has closed or reset the connection. With ChannelRequestLookahead > 0 the read-ahead reader
// notices the close once it has read the requests before it, as in Waitress. Otherwise a
// non-blocking peek at the socket answers (Waitress only notices with lookahead > 0; the peek
// is a superset), and unread pipelined input hides a close behind it.
func (c *conn) disconnected() bool {
	if c.peerClosed.Load() {
		return true
	}
	c.resp.mu.Lock()
	gone := c.resp.gone
	c.resp.mu.Unlock()
	if gone {
		return true
	}
	return peerGone(c.nc)
}
