package server

import "errors"

// writeFD is not used on Windows: the connection's writer sends every response.
func writeFD(fd uintptr, p []byte) (int, error) {
	return 0, errors.New("direct writes are not supported on windows")
}
