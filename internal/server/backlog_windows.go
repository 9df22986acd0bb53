package server

import "net"

// setBacklog does nothing on Windows: listen() on a listening socket succeeds there without
// changing the queue length, so the backlog stays Go's (SOMAXCONN).
func setBacklog(l net.Listener, backlog int) error { return nil }
