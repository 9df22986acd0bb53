package server

import (
	"syscall"
)

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
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	var buf [1]byte
	var n int
	var rerr error
	// Control, not Read: RawRead would wait for the read lock (held by a reader blocked in
	// Read with read-ahead) and fail once the connection's read deadline has passed, which a
	// request running longer than ChannelTimeout makes it do.
	if err := rc.Control(func(fd uintptr) {
		n, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	}); err != nil {
		return true
	}
	switch {
	case rerr == syscall.EAGAIN || rerr == syscall.EINTR:
		return false
	case rerr != nil:
		return true
	default:
		return n == 0
	}
}
