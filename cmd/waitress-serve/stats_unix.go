//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// notifyStats delivers SIGUSR1, on which the server prints its counters, to c.
func notifyStats(c chan<- os.Signal) { signal.Notify(c, syscall.SIGUSR1) }
