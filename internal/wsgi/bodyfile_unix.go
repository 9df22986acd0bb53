//go:build unix

package wsgi

import (
	"os"
	"syscall"
)

// bodyHandle gives Python its own descriptor for a spooled body, so the server can close its
// file independently; -1 if it cannot.
func bodyHandle(f *os.File) int {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return -1
	}
	return fd
}
