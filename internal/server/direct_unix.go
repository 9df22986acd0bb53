//go:build unix

package server

import "syscall"

// writeFD writes p to a non-blocking socket once, for WriteNow.
func writeFD(fd uintptr, p []byte) (int, error) { return syscall.Write(int(fd), p) }
