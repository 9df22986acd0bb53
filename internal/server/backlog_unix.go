//go:build unix

package server

import (
	"net"
	"syscall"
)

// setBacklog calls listen(2) again with the configured backlog; Linux updates the queue length
// of a listening socket in place (Go itself uses somaxconn).
func setBacklog(l net.Listener, backlog int) error {
	sc, ok := l.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), backlog) }); err != nil {
		return err
	}
	return lerr
}
