package wsgi

import (
	"errors"
	"log/slog"
	"runtime"
	"sync"

	"github.com/waitress-go/waitress-go/internal/python"
)

// App is a WSGI application loaded into the embedded interpreter.
type App struct {
	py *python.App
}

// LoadError is an application that could not be loaded: Reason is the one-line explanation
// (a traceback, when there is one, has already been printed to stderr).
type LoadError struct{ Reason string }

func (e *LoadError) Error() string { return e.Reason }

// Load imports spec ("module:object", the object may be a dotted path) from the interpreter's
// sys.path and, when call is set, calls it to get the application (--call).
func Load(spec string, call bool) (*App, error) {
	var app *python.App
	err := python.WithGIL(func() error {
		var err error
		app, err = python.LoadApp(spec, call)
		return err
	})
	if err != nil {
		var pe *python.PyError
		if errors.As(err, &pe) {
			return nil, &LoadError{Reason: pe.Text}
		}
		return nil, err
	}
	return &App{py: app}, nil
}

// Logger sends the server's messages to Python's logging module, so the application's logging
// configuration decides what is shown and where, as with Waitress. Messages are queued and
// written by one goroutine that takes the GIL; callers never block on Python.
type Logger struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending []logRecord
	busy    bool
	closed  bool
	done    chan struct{}
}

type logRecord struct {
	name  string
	level int
	msg   string
}

// NewLogger starts the logging goroutine.
func NewLogger() *Logger {
	l := &Logger{done: make(chan struct{})}
	l.cond = sync.NewCond(&l.mu)
	go l.run()
	return l
}

// pyLevel maps slog levels onto logging's: Debug 10, Info 20, Warn 30, Error 40.
func pyLevel(level slog.Level) int { return 20 + int(level)*10/4 }

// Log queues msg for the named Python logger ("waitress", "waitress.queue").
func (l *Logger) Log(name string, level slog.Level, msg string) {
	l.mu.Lock()
	if !l.closed {
		l.pending = append(l.pending, logRecord{name, pyLevel(level), msg})
		l.cond.Broadcast()
	}
	l.mu.Unlock()
}

// Flush waits until every queued message has been handed to Python.
func (l *Logger) Flush() {
	l.mu.Lock()
	for len(l.pending) > 0 || l.busy {
		l.cond.Wait()
	}
	l.mu.Unlock()
}

// Close flushes and stops the logger.
func (l *Logger) Close() {
	l.mu.Lock()
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
	<-l.done
}

func (l *Logger) run() {
	defer close(l.done)
	// One OS thread, registered with Python once, does all the logging: logging records the
	// calling thread (threading.current_thread()), and every new OS thread would otherwise leave
	// a permanent "Dummy" entry in threading's table.
	runtime.LockOSThread()
	th := python.NewThread()
	defer th.Close()
	for {
		l.mu.Lock()
		for len(l.pending) == 0 && !l.closed {
			l.cond.Wait()
		}
		if len(l.pending) == 0 && l.closed {
			l.mu.Unlock()
			return
		}
		batch := l.pending
		l.pending = nil
		l.busy = true
		l.mu.Unlock()
		th.Acquire()
		for _, r := range batch {
			python.Log(r.name, r.level, r.msg)
		}
		th.Release()
		l.mu.Lock()
		l.busy = false
		l.cond.Broadcast()
		l.mu.Unlock()
	}
}

// SetupCLILogging does what waitress-serve does before importing the app: the "waitress"
// logger at INFO unless something already configured it.
func SetupCLILogging() error {
	return python.WithGIL(func() error { return python.CallEngine0("setup_cli_logging") })
}

// BasicConfig does what waitress.serve does after loading the app: an idempotent
// logging.basicConfig(), so the "Serving on" line is shown unless the app configured logging.
func BasicConfig() error {
	return python.WithGIL(func() error { return python.CallEngine0("basic_config") })
}

// Counts returns the interpreter's gc object count and allocated blocks, for leak checks.
func Counts() (objects, blocks int64) {
	_ = python.WithGIL(func() error {
		objects, blocks = python.Counts()
		return nil
	})
	return objects, blocks
}
