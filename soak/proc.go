package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// figures is one measurement of the server process.
type figures struct {
	rssKB      int
	threads    int // OS threads (/proc/PID/task): Go's and Python's
	fds        int
	spoolFiles int // open files in the spool directory
	pyThreads  int // threading.active_count()
	pyObjects  int // len(gc.get_objects()) after a collection
	pyNames    []string
}

func (f figures) String() string {
	return fmt.Sprintf("rss=%dkB os_threads=%d fds=%d spool_files=%d py_threads=%d py_objects=%d",
		f.rssKB, f.threads, f.fds, f.spoolFiles, f.pyThreads, f.pyObjects)
}

func measure(s *server, spoolDir string) (figures, error) {
	var f figures
	pid := s.pid()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return f, fmt.Errorf("server process: %w", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f.rssKB, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	f.threads = len(tasks)
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, _ := os.ReadDir(fdDir)
	f.fds = len(fds)
	for _, e := range fds {
		if link, err := os.Readlink(filepath.Join(fdDir, e.Name())); err == nil && strings.HasPrefix(link, spoolDir) {
			f.spoolFiles++
		}
	}
	st, err := appStats(s.addr)
	if err != nil {
		return f, err
	}
	f.pyThreads, f.pyObjects, f.pyNames = st.Threads, st.Objects, st.Names
	return f, nil
}

type stats struct {
	Threads, Objects int
	Names            []string
}

// appStats asks the soak app for its Python figures, on a connection of its own.
func appStats(addr string) (stats, error) {
	var st stats
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return st, fmt.Errorf("/stats: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, "GET /stats HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n"); err != nil {
		return st, fmt.Errorf("/stats: %w", err)
	}
	r, err := readResponse(bufio.NewReader(c), false)
	if err != nil {
		return st, fmt.Errorf("/stats: %w", err)
	}
	if r.code != 200 {
		return st, fmt.Errorf("/stats: status %d", r.code)
	}
	if err := json.Unmarshal(r.body, &st); err != nil {
		return st, fmt.Errorf("/stats: %w", err)
	}
	return st, nil
}
