package main

import "os"

// notifyStats does nothing: Windows has no SIGUSR1. The counters are still printed at exit
// when WAITRESS_GO_STATS is set.
func notifyStats(c chan<- os.Signal) {}
