package e2e

import (
	"sync"
	"testing"
	"time"
)

// TestConcurrentRequests checks that --threads=4 really runs four requests at once: four
// requests to an app that sleeps 0.5 s (without holding the GIL) finish together. Not parallel
// with other tests, so their load cannot slow it down.
func TestConcurrentRequests(t *testing.T) {
	s := startServer(t, serverConfig{app: "sleepy_app:app", args: []string{"--threads=4"}})
	s.get(t, "/?s=0") // warm up: imports, first connection
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	start := time.Now()
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := s.get(t, "/?s=0.5")
			if resp.StatusCode != 200 {
				errs <- string(body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("request failed: %s", e)
	}
	if d := time.Since(start); d > 1200*time.Millisecond {
		t.Errorf("4 requests sleeping 0.5 s took %v with --threads=4, want < 1.2 s", d)
	}
}

// TestThreadsLimit checks the other side: with --threads=1 requests queue behind one another.
func TestThreadsLimit(t *testing.T) {
	s := startServer(t, serverConfig{app: "sleepy_app:app", args: []string{"--threads=1"}})
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.get(t, "/?s=0.3")
		}()
	}
	wg.Wait()
	if d := time.Since(start); d < 850*time.Millisecond {
		t.Errorf("3 requests sleeping 0.3 s took only %v with --threads=1", d)
	}
}
