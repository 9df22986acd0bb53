//go:build unix

package server

import (
	"net"
	"syscall"
)

// peerGone peeks at nc without blocking: true when the peer has closed or reset it. Unread
// input hides a close behind it.
func peerGone(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
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
