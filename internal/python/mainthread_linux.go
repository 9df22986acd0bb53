package python

import (
	"os"
	"syscall"
)

// onMainThread reports whether the caller runs on the process's main thread, whose thread id
// is the process id on Linux.
func onMainThread() bool { return syscall.Gettid() == os.Getpid() }
