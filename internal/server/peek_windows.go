package server

import "net"

// peerGone reports false: Go's Windows sockets are overlapped, with no non-blocking peek. A
// close is still noticed by the read-ahead reader with ChannelRequestLookahead > 0, which is
// when Waitress notices it too.
func peerGone(nc net.Conn) bool { return false }
