package server

import "syscall"

// quietErrnos mean the peer went away: wasyncore treats them as a plain close. Winsock
// reports its own codes, not the POSIX ones; WSAENOTCONN (10057) and WSAESHUTDOWN (10058) have
// no name in package syscall.
var quietErrnos = []syscall.Errno{syscall.WSAECONNRESET, syscall.WSAECONNABORTED,
	syscall.ERROR_NETNAME_DELETED, syscall.Errno(10057), syscall.Errno(10058)}
