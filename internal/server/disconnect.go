package server

import (
	"syscall"
)

// disconnected backs environ["waitress.client_disconnected"]: it reports whether the client
// has closed or reset the connection, by peeking at the socket without blocking (Waitress
// only notices with channel_request_lookahead > 0; a peek works in every mode). Unread
// pipelined input hides a close behind it.
func (c *conn) disconnected() bool {
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
	if err := rc.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true
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
