package main

import (
	"fmt"
	"io"
	"time"
)

// report is the summary printed at the end of a soak.
type report struct {
	dur        time.Duration
	load       *load
	srv        *server
	start, end figures
	settled    bool
}

// Tolerances for "flat": what a run may legitimately leave behind.
const (
	rssSlackKB     = 16 << 10 // allocator and runtime caches
	rssSlackFrac   = 0.10
	threadSlack    = 4 // Go keeps OS threads it made for blocking system calls
	fdSlack        = 2
	pyObjectsSlack = 2000 // caches that fill lazily (re, linecache for tracebacks, ...)
)

// print writes the summary and reports whether the run passed.
func (r *report) print(w io.Writer) bool {
	ok := true
	fail := func(format string, args ...any) {
		ok = false
		fmt.Fprintf(w, "FAIL: "+format+"\n", args...)
	}
	ld := r.load
	fmt.Fprintf(w, "\nsoak: %v, %d requests/connections from %d clients (%.0f/s)\n",
		r.dur.Round(time.Second), ld.total(), ld.workers, float64(ld.total())/r.dur.Seconds())
	fmt.Fprintf(w, "  %-18s %10s %10s  %s\n", "action", "runs", "failed", "first failure")
	for i, a := range ld.actions {
		t := &ld.tallies[i]
		first, _ := t.firstErr.Load().(string)
		fmt.Fprintf(w, "  %-18s %10d %10d  %s\n", a.name, t.runs.Load(), t.failed.Load(), first)
		if t.failed.Load() > 0 {
			ok = false
		}
	}
	all5xx, exp5xx := ld.status5xx.Load(), ld.expected5xx.Load()
	fmt.Fprintf(w, "  5xx responses: %d (%d expected from app faults and refused requests, %d unexpected)\n", all5xx, exp5xx, all5xx-exp5xx)
	r.srv.mu.Lock()
	fmt.Fprintf(w, "  server log: %d app exceptions, %d client disconnects, %d other warnings, %d other errors\n",
		r.srv.exceptions, r.srv.disconnect, r.srv.warnings, r.srv.errors)
	for _, l := range r.srv.firstOdd {
		fmt.Fprintf(w, "    %s\n", l)
	}
	odd := r.srv.errors
	r.srv.mu.Unlock()

	fmt.Fprintf(w, "  %-22s %10s %10s %10s\n", "", "start", "end", "change")
	row := func(name string, a, b int) {
		fmt.Fprintf(w, "  %-22s %10d %10d %+10d\n", name, a, b, b-a)
	}
	row("RSS (kB)", r.start.rssKB, r.end.rssKB)
	row("OS threads", r.start.threads, r.end.threads)
	row("open fds", r.start.fds, r.end.fds)
	row("spool files open", r.start.spoolFiles, r.end.spoolFiles)
	row("Python threads", r.start.pyThreads, r.end.pyThreads)
	row("Python gc objects", r.start.pyObjects, r.end.pyObjects)

	if n := all5xx - exp5xx; n != 0 {
		fail("%d unexpected 5xx responses", n)
	}
	if odd > 0 {
		fail("%d unexpected ERROR lines in the server log", odd)
	}
	if !r.settled {
		fail("descriptors or spool files not reclaimed within 30 s of the end")
	}
	if lim := r.start.rssKB + max(rssSlackKB, int(float64(r.start.rssKB)*rssSlackFrac)); r.end.rssKB > lim {
		fail("RSS grew from %d to %d kB (limit %d)", r.start.rssKB, r.end.rssKB, lim)
	}
	if r.end.threads > r.start.threads+threadSlack {
		fail("OS threads grew from %d to %d", r.start.threads, r.end.threads)
	}
	if r.end.fds > r.start.fds+fdSlack {
		fail("open fds grew from %d to %d", r.start.fds, r.end.fds)
	}
	if r.end.pyThreads != r.start.pyThreads {
		fail("Python threads went from %d %q to %d %q", r.start.pyThreads, r.start.pyNames, r.end.pyThreads, r.end.pyNames)
	}
	if d := r.end.pyObjects - r.start.pyObjects; d > pyObjectsSlack || d < -pyObjectsSlack {
		fail("Python gc objects changed by %d", d)
	}
	if ok {
		fmt.Fprintln(w, "PASS: flat")
	}
	return ok
}
