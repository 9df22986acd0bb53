package server

import "time"

// Deadlines give a connection ChannelTimeout of inactivity. Setting one costs a runtime timer
// update (a lock and a heap operation) plus a clock read, and a request would set three; so a
// deadline is armed up to deadlineSlack late and left alone while it still lies at least
// ChannelTimeout ahead. The timeout then fires between ChannelTimeout and ChannelTimeout plus
// 1/64 of it after the last activity, never early (Waitress checks inactivity only every
// cleanup_interval, 30 s by default).
const deadlineSlack = 64

// armRead pushes the read deadline to ChannelTimeout from now. It reports false when the
// read-ahead reader has been told to stop, whose own deadline must not be overridden.
func (c *conn) armRead() bool {
	timeout := c.srv.cfg.ChannelTimeout
	if c.la != nil {
		// The read-ahead goroutine sets deadlines of its own: no cached value is valid.
		return c.la.armRead(c, time.Now().Add(timeout))
	}
	if at, ok := extend(c.readUntil, timeout); ok {
		c.readUntil = at
		c.nc.SetReadDeadline(time.Unix(0, at))
	}
	return true
}

// armWrite pushes the write deadline to ChannelTimeout from now.
func (c *conn) armWrite() {
	timeout := c.srv.cfg.ChannelTimeout
	if c.la != nil {
		// Writes can come from two goroutines (100-continue from the reader).
		c.nc.SetWriteDeadline(time.Now().Add(timeout))
		return
	}
	if at, ok := extend(c.writeUntil, timeout); ok {
		c.writeUntil = at
		c.nc.SetWriteDeadline(time.Unix(0, at))
	}
}

// extend returns the deadline to arm (unix nanos) when the armed one, until, is less than
// timeout away; ok is false when until is still good.
func extend(until int64, timeout time.Duration) (at int64, ok bool) {
	now := time.Now().UnixNano()
	if until >= now+int64(timeout) {
		return 0, false
	}
	return now + int64(timeout) + int64(timeout/deadlineSlack), true
}
