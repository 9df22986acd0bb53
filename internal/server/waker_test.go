package server

import (
	"sync"
	"testing"
	"time"
)

// TestWakeWriterNeverLost finishes responses from several goroutines at irregular times, so
// that some wakes find the waker polling, some asleep and some racing with it going to sleep:
// every writer must be woken.
func TestWakeWriterNeverLost(t *testing.T) {
	const writers = 400
	var wg sync.WaitGroup
	resps := make([]*response, writers)
	for i := range resps {
		w := &response{}
		w.cond.L = &w.mu
		resps[i] = w
	}
	woken := make(chan int, writers)
	for i, w := range resps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.mu.Lock()
			for !w.done {
				w.cond.Wait()
			}
			w.mu.Unlock()
			woken <- i
		}()
	}
	for g := 0; g < 4; g++ {
		go func() {
			for i := g; i < writers; i += 4 {
				// Pauses around the waker's poll interval and idle limit.
				time.Sleep(time.Duration(i%7) * 60 * time.Microsecond)
				w := resps[i]
				w.mu.Lock()
				w.done = true
				wakeWriter(w)
				w.mu.Unlock()
			}
		}()
	}
	deadline := time.After(10 * time.Second)
	for n := 0; n < writers; n++ {
		select {
		case <-woken:
		case <-deadline:
			t.Fatalf("%d of %d writers never woken", writers-n, writers)
		}
	}
	wg.Wait()
}
