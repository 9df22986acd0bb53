package server

import "sync"

// wakeList collects responses whose writers are to be woken by the waker goroutine. Workers
// append to it while they hold the GIL; the waker swaps it out and broadcasts.
type wakeList struct {
	mu    sync.Mutex
	items []*response
	spare []*response
}

func (l *wakeList) add(w *response) {
	l.mu.Lock()
	l.items = append(l.items, w)
	l.mu.Unlock()
}

func (l *wakeList) pending() bool {
	l.mu.Lock()
	n := len(l.items)
	l.mu.Unlock()
	return n > 0
}

// take returns the queued responses; the caller passes the slice back with done.
func (l *wakeList) take() []*response {
	l.mu.Lock()
	items := l.items
	l.items = l.spare[:0]
	l.spare = nil
	l.mu.Unlock()
	return items
}

func (l *wakeList) done(items []*response) {
	clear(items)
	l.mu.Lock()
	if l.spare == nil {
		l.spare = items[:0]
	}
	l.mu.Unlock()
}

// broadcastAll wakes the writers of items. It does not take their locks: the state a writer
// waits for was changed under its lock before the response was queued here, so a writer either
// saw the change or is already registered with the cond when this runs.
func broadcastAll(items []*response) {
	for _, w := range items {
		w.cond.Broadcast()
	}
}
