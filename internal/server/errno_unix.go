//go:build unix

package server

import "syscall"

// quietErrnos mean the peer went away: wasyncore treats them as a plain close.
var quietErrnos = []syscall.Errno{syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED,
	syscall.ENOTCONN, syscall.ESHUTDOWN, syscall.EBADF}
