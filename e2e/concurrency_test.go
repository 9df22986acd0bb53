package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sleepSpan is one sleepy_app request as the app saw it.
type sleepSpan struct{ start, end float64 }

// parseSleep reads sleepy_app's "slept S START END" answer.
func parseSleep(body string) (sleepSpan, error) {
	f := strings.Fields(body)
	if len(f) != 4 || f[0] != "slept" {
		return sleepSpan{}, fmt.Errorf("unexpected sleepy_app answer %q", body)
	}
	start, err1 := strconv.ParseFloat(f[2], 64)
	end, err2 := strconv.ParseFloat(f[3], 64)
	if err1 != nil || err2 != nil {
		return sleepSpan{}, fmt.Errorf("unexpected sleepy_app answer %q", body)
	}
	return sleepSpan{start, end}, nil
}

// sleepBatch sends n requests at once to sleepy_app and returns the wall time and the spans.
func sleepBatch(t *testing.T, s *server, n int, seconds string) (time.Duration, []sleepSpan) {
	t.Helper()
	var wg sync.WaitGroup
	spans := make([]sleepSpan, n)
	errs := make([]error, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, body := s.get(t, "/?s="+seconds)
			if resp.StatusCode != 200 {
				errs[i] = fmt.Errorf("status %d: %s", resp.StatusCode, body)
				return
			}
			spans[i], errs[i] = parseSleep(string(body))
		}(i)
	}
	wg.Wait()
	d := time.Since(start)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return d, spans
}

// overlapAll reports whether every span was running at one same moment.
func overlapAll(spans []sleepSpan) bool {
	latestStart, earliestEnd := spans[0].start, spans[0].end
	for _, s := range spans[1:] {
		latestStart = max(latestStart, s.start)
		earliestEnd = min(earliestEnd, s.end)
	}
	return latestStart < earliestEnd
}

// TestConcurrentRequests checks that --threads=4 really runs four requests at once: four
// requests to an app that sleeps 0.5 s (without holding the GIL) finish together. Not
// parallel with the other tests; since other packages' tests may still load the machine,
// the wall-clock bound and the overlap get three tries. (Once in about six fully loaded CI
// runs, one of the four started only when another ended; a try that does not overlap is
// logged, so that the pattern shows in CI output.)
func TestConcurrentRequests(t *testing.T) {
	s := startServer(t, serverConfig{app: "sleepy_app:app", args: []string{"--threads=4"}})
	s.get(t, "/?s=0") // warm up: imports, first connection
	var took []time.Duration
	for try := 0; try < 3; try++ {
		d, spans := sleepBatch(t, s, 4, "0.5")
		if !overlapAll(spans) {
			t.Logf("try %d: the four 0.5 s sleeps did not run at the same time: %v", try, spans)
			took = append(took, d)
			continue
		}
		if d < 1200*time.Millisecond {
			return
		}
		took = append(took, d)
	}
	t.Errorf("4 requests sleeping 0.5 s with --threads=4 took %v in three tries (each must overlap and take < 1.2 s)", took)
}

// TestThreadsLimit checks the other side: with --threads=1 requests queue behind one another.
func TestThreadsLimit(t *testing.T) {
	s := startServer(t, serverConfig{app: "sleepy_app:app", args: []string{"--threads=1"}})
	d, spans := sleepBatch(t, s, 3, "0.3")
	for i := range spans {
		for j := range spans {
			if i != j && spans[i].start < spans[j].start && spans[j].start < spans[i].end-0.001 {
				t.Errorf("requests ran at the same time with --threads=1: %v", spans)
			}
		}
	}
	if d < 850*time.Millisecond {
		t.Errorf("3 requests sleeping 0.3 s took only %v with --threads=1", d)
	}
}
