// Command soak runs waitress-serve under mixed load for a long time and reports whether it
// stayed flat: 5xx counts, RSS, OS threads, open file descriptors, Python threads and live
// Python objects at the start and at the end.
//
//	go build -o bin/waitress-serve ./cmd/waitress-serve
//	go run ./soak -duration 10m
//
// The load mixes normal requests (small, large, uploads in both framings, slow ones) with
// application faults (raising before and during the response) and client faults (bad requests,
// connections dropped mid-request and mid-response, idle connections). The figures are taken
// after a warm-up (a tenth of the run, at most a minute) and again once the load has stopped
// and the server has reclaimed the dropped connections. The exit status is 0 only when every
// figure is flat and no response was unexpected.
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

//go:embed soak_app.py
var soakApp []byte

func main() {
	os.Exit(run())
}

func run() int {
	bin := flag.String("bin", "bin/waitress-serve", "the waitress-serve binary to soak")
	duration := flag.Duration("duration", 10*time.Minute, "how long to run the load")
	workers := flag.Int("workers", 12, "concurrent clients")
	threads := flag.Int("threads", 4, "the server's --threads")
	python := flag.String("python", "", "the server's --python (default: $VIRTUAL_ENV, else python3)")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed for the load")
	flag.Parse()

	work, err := os.MkdirTemp("", "soak-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	}
	defer os.RemoveAll(work)
	appDir, spoolDir := filepath.Join(work, "app"), filepath.Join(work, "tmp")
	for _, d := range []string{appDir, spoolDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			return 2
		}
	}
	if err := os.WriteFile(filepath.Join(appDir, "soak_app.py"), soakApp, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	}
	binPath, err := filepath.Abs(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	}
	args := []string{"--host=127.0.0.1", "--port=0", fmt.Sprintf("--threads=%d", *threads), "--channel-timeout=10"}
	if *python != "" {
		args = append(args, "--python="+*python)
	}
	srv, err := startServer(binPath, appDir, spoolDir, append(args, "soak_app:app"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	}
	defer srv.kill()
	fmt.Printf("soak: %v of load from %d clients on %s (pid %d, --threads=%d), seed %d\n",
		*duration, *workers, srv.addr, srv.pid(), *threads, *seed)

	launch, err := measure(srv, spoolDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	}
	warm := min(*duration/10, time.Minute)
	ld := newLoad(srv.addr, *workers, *seed)
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	done := make(chan struct{})
	go func() { ld.run(ctx); close(done) }()

	// Baseline after the warm-up, then progress lines until the load ends.
	var start figures
	select {
	case <-time.After(warm):
	case <-done:
	}
	if start, err = measure(srv, spoolDir); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	}
	fmt.Printf("  %-8s %s\n", "launch", launch)
	fmt.Printf("  %-8s %s\n", "start", start)
	began := time.Now().Add(-warm)
	tick := time.NewTicker(min(30*time.Second, max(*duration/10, time.Second)))
	defer tick.Stop()
progress:
	for {
		select {
		case <-done:
			break progress
		case <-tick.C:
			f, err := measure(srv, spoolDir)
			if err != nil {
				fmt.Printf("  %-8s measuring failed: %v\n", time.Since(began).Round(time.Second), err)
				continue
			}
			fmt.Printf("  %-8s %s  requests=%d\n", time.Since(began).Round(time.Second), f, ld.total())
		}
	}

	// Let the server reclaim what the clients dropped, then the final figures.
	end, settled := settle(srv, spoolDir, start)
	fmt.Printf("  %-8s %s\n", "end", end)
	rep := report{dur: time.Since(began), load: ld, srv: srv, start: start, end: end, settled: settled}
	ok := rep.print(os.Stdout)

	if err := srv.stop(30 * time.Second); err != nil {
		fmt.Printf("server stop: %v\n", err)
		ok = false
	}
	if !ok {
		return 1
	}
	return 0
}

// settle waits up to 30 s for descriptors and spool files to come back to the start figures.
func settle(srv *server, spoolDir string, start figures) (figures, bool) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		f, err := measure(srv, spoolDir)
		if err == nil && f.fds <= start.fds+2 && f.spoolFiles == 0 {
			return f, true
		}
		if time.Now().After(deadline) {
			return f, false
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// pick returns a random index into weights, proportionally to them.
func pick(r *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}
