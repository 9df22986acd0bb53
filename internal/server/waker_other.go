//go:build !linux

package server

// wakeWriter wakes w's writer.
func wakeWriter(w *response) {
	w.cond.Broadcast()
}
