package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is the waitress-serve process under soak, with counts of what it logged.
type server struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
	err  error

	mu         sync.Mutex
	exceptions int      // "Exception while serving" (the app's faults)
	disconnect int      // "Client disconnected while serving"
	warnings   int      // other WARNING lines
	errors     int      // other ERROR lines
	firstOdd   []string // the first few other WARNING/ERROR lines, with the line after each
	lastOdd    bool
	tail       []string // the last lines, for a failure report
}

var servingRE = regexp.MustCompile(`Serving on http://(127\.0\.0\.1:\d+)`)

func startServer(bin, dir, spoolDir string, args []string) (*server, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+spoolDir, "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if m := servingRE.FindStringSubmatch(line); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
			s.logLine(line)
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		s.err = cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	select {
	case a := <-addr:
		s.addr = a
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("server exited before serving: %v\n%s", s.err, strings.Join(s.tail, "\n"))
	case <-time.After(30 * time.Second):
		s.kill()
		return nil, fmt.Errorf("server did not log its address within 30 s\n%s", strings.Join(s.tail, "\n"))
	}
}

func (s *server) logLine(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tail = append(s.tail, line)
	if len(s.tail) > 40 {
		s.tail = s.tail[1:]
	}
	odd := false
	switch {
	case strings.HasPrefix(line, "ERROR:waitress:Exception while serving"):
		s.exceptions++
	case strings.HasPrefix(line, "INFO:waitress:Client disconnected while serving"):
		s.disconnect++
	case strings.HasPrefix(line, "WARNING:"):
		s.warnings++
		odd = true
	case strings.HasPrefix(line, "ERROR:"), strings.HasPrefix(line, "CRITICAL:"),
		strings.Contains(line, "panic:"), strings.HasPrefix(line, "fatal error:"), strings.HasPrefix(line, "Fatal Python error"):
		s.errors++
		odd = true
	}
	if len(s.firstOdd) < 16 && (odd || s.lastOdd) {
		s.firstOdd = append(s.firstOdd, line)
	}
	// The line after a WARNING or ERROR usually carries the detail.
	s.lastOdd = odd
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to d for a clean exit.
func (s *server) stop(d time.Duration) error {
	if s.exited() {
		return fmt.Errorf("server had already exited: %v", s.err)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return s.err
	case <-time.After(d):
		s.kill()
		return fmt.Errorf("no exit %v after SIGTERM", d)
	}
}

func (s *server) kill() {
	if !s.exited() {
		s.cmd.Process.Kill()
		<-s.done
	}
}
