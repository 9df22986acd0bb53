//go:build !linux

package python

// onMainThread cannot be checked cheaply here; it reports true. The main goroutine is locked
// to the main thread by init in any case.
func onMainThread() bool { return true }
