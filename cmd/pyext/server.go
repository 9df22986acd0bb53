//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/waitress-go/waitress-go/internal/options"
	"github.com/waitress-go/waitress-go/internal/python"
	"github.com/waitress-go/waitress-go/internal/server"
	"github.com/waitress-go/waitress-go/internal/wsgi"
)

// drainTimeout bounds how long a stop (close, Ctrl-C) waits for requests in flight; a second
// Ctrl-C stops waiting.
const drainTimeout = 30 * time.Second

// notAdjustments are options of the command line only: the Python API takes the app object.
var notAdjustments = []string{"app", "call", "python"}

func adjustments(_ *python.ExtCall, _ []any) (any, error) {
	var names []string
	for _, n := range options.Names() {
		if !slices.Contains(notAdjustments, n) {
			names = append(names, n)
		}
	}
	return names, nil
}

// instance is one server made by create: listening from create on, serving during run.
type instance struct {
	opts   options.Options
	app    *wsgi.App
	logger *wsgi.Logger
	pool   *wsgi.Pool
	srv    *server.Server

	mu    sync.Mutex
	state int           // created, running or closed
	stop  chan struct{} // closed to make run stop
	ended chan struct{} // closed when the server has stopped and released everything
}

const (
	created = iota
	running
	closed
)

// instances maps handles given to Python to servers; the extension module is a singleton, so
// is its table.
var instances struct {
	sync.Mutex
	next int64
	m    map[int64]*instance
}

func lookup(h any) (int64, *instance, error) {
	id, ok := h.(int64)
	instances.Lock()
	defer instances.Unlock()
	inst := instances.m[id]
	if !ok || inst == nil {
		return 0, nil, &python.Exception{Type: "ValueError", Msg: fmt.Sprintf("no server with handle %v", h)}
	}
	return id, inst, nil
}

func forget(id int64) {
	instances.Lock()
	delete(instances.m, id)
	instances.Unlock()
}

// optionError turns an options error into the exception Waitress raises for it.
func optionError(err error) error {
	var unknown *options.UnknownOptionError
	if errors.As(err, &unknown) {
		return &python.Exception{Type: "TypeError", Msg: "Unknown adjustment " + strings.TrimPrefix(unknown.Option, "unknown option ")}
	}
	return &python.Exception{Type: "ValueError", Msg: err.Error()}
}

// create(app, pairs, fds) builds, binds and registers a server. pairs are (adjustment name,
// string value); fds are listening sockets the caller keeps open (they are duplicated).
func create(c *python.ExtCall, args []any) (any, error) {
	if len(args) != 3 {
		return nil, &python.Exception{Type: "TypeError", Msg: "create(app, pairs, fds) takes 3 arguments"}
	}
	obj, ok := args[0].(*python.Object)
	if !ok {
		return nil, &python.Exception{Type: "TypeError", Msg: "the application must be a callable object"}
	}
	pairs, ok1 := args[1].([]any)
	fdArgs, ok2 := args[2].([]any)
	if !ok1 || !ok2 {
		return nil, &python.Exception{Type: "TypeError", Msg: "create(app, pairs, fds): pairs and fds must be lists"}
	}
	opts := options.Default()
	for _, p := range pairs {
		kv, ok := p.([]any)
		if !ok || len(kv) != 2 {
			return nil, &python.Exception{Type: "TypeError", Msg: "each adjustment must be a (name, value) pair"}
		}
		name, ok1 := kv[0].(string)
		value, ok2 := kv[1].(string)
		if !ok1 || !ok2 || slices.Contains(notAdjustments, name) {
			if ok1 {
				return nil, &python.Exception{Type: "TypeError", Msg: fmt.Sprintf("Unknown adjustment %q", name)}
			}
			return nil, &python.Exception{Type: "TypeError", Msg: "adjustment names and values must be str"}
		}
		if err := opts.Set(name, value); err != nil {
			return nil, optionError(err)
		}
	}
	var fds []int
	for _, f := range fdArgs {
		fd, ok := f.(int64)
		if !ok || fd < 0 {
			return nil, &python.Exception{Type: "TypeError", Msg: "sockets must be socket objects"}
		}
		fds = append(fds, int(fd))
	}
	if len(fds) > 0 {
		strs := make([]string, len(fds))
		for i, fd := range fds {
			strs[i] = strconv.Itoa(fd)
		}
		if err := opts.Set("sockets", strings.Join(strs, " ")); err != nil {
			return nil, optionError(err)
		}
	}
	if err := opts.Validate(); err != nil {
		return nil, optionError(err)
	}
	app, err := wsgi.FromObject(obj)
	if err != nil {
		return nil, err
	}
	var inst *instance
	c.WithoutGIL(func() { inst, err = start(app, opts) })
	if err != nil {
		return nil, err
	}
	instances.Lock()
	if instances.m == nil {
		instances.m = map[int64]*instance{}
	}
	instances.next++
	id := instances.next
	instances.m[id] = inst
	instances.Unlock()
	warnings := opts.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	return []any{id, warnings, inst.srv.URLs()}, nil
}

// start makes the pool and the server and binds the listeners (GIL released: the pool's
// threads take it to register).
func start(app *wsgi.App, opts options.Options) (*instance, error) {
	inst := &instance{opts: opts, app: app, stop: make(chan struct{}), ended: make(chan struct{})}
	inst.logger = wsgi.NewLogger()
	inst.pool = wsgi.NewPool(app, wsgi.PoolConfig{Threads: opts.Threads, Log: inst.logger.Log})
	fail := func(err error) (*instance, error) {
		if inst.pool.Shutdown(time.Second) {
			app.Release()
		}
		inst.logger.Close()
		return nil, err
	}
	cfg := server.ConfigFromOptions(&opts)
	if opts.AccessLog {
		var err error
		if cfg.AccessLog, err = server.NewAccessLog(opts.AccessLogFormat, inst.logger); err != nil {
			return fail(&python.Exception{Type: "ValueError", Msg: err.Error()})
		}
	}
	srv, err := server.New(cfg, inst.pool, inst.logger)
	if err != nil {
		return fail(&python.Exception{Type: "ValueError", Msg: err.Error()})
	}
	inst.srv = srv
	for _, fd := range opts.Sockets {
		l, err := fileListener(fd)
		if err != nil {
			return fail(&python.Exception{Type: "OSError", Msg: fmt.Sprintf("socket %d: %v", fd, err)})
		}
		srv.AddListener(l)
	}
	if len(opts.Sockets) == 0 {
		if err := srv.Listen(); err != nil {
			return fail(&python.Exception{Type: "OSError", Msg: err.Error()})
		}
	}
	return inst, nil
}

// fileListener listens on a duplicate of fd, which stays the caller's.
func fileListener(fd int) (net.Listener, error) {
	dup, err := syscall.Dup(fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "socket "+strconv.Itoa(fd))
	defer f.Close()
	return net.FileListener(f)
}

// run(handle) serves until close or Ctrl-C, drains, and releases the server.
func run(c *python.ExtCall, args []any) (any, error) {
	if len(args) != 1 {
		return nil, &python.Exception{Type: "TypeError", Msg: "run(handle) takes 1 argument"}
	}
	id, inst, err := lookup(args[0])
	if err != nil {
		return nil, nil // closed already
	}
	inst.mu.Lock()
	if inst.state != created {
		inst.mu.Unlock()
		return nil, nil
	}
	inst.state = running
	inst.mu.Unlock()
	defer forget(id)
	inst.serve(c)
	return nil, nil
}

// requestStop makes a running serve stop; it may be called any number of times.
func (inst *instance) requestStop() {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	select {
	case <-inst.stop:
	default:
		close(inst.stop)
	}
}

// serve runs the server on the calling Python thread with the GIL released until a stop, a
// Ctrl-C (then a second one cuts the drain short) or a serving error; it returns once the
// server and its threads are gone. The status is 1 after a serving error.
func (inst *instance) serve(c *python.ExtCall) (status int) {
	force := make(chan struct{})
	var forceOnce sync.Once
	c.Block(func() {
		served := make(chan error, 1)
		go func() { served <- inst.srv.Serve() }()
		select {
		case <-inst.stop:
		case err := <-served:
			if err != nil {
				inst.logger.Log("waitress", slog.LevelError, err.Error())
				status = 1
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		defer cancel()
		go func() {
			select {
			case <-force:
				cancel()
			case <-ctx.Done():
			}
		}()
		inst.shutdown(ctx)
	}, func(n int) {
		if n == 1 {
			inst.requestStop()
		} else {
			forceOnce.Do(func() { close(force) })
		}
	})
	return status
}

// shutdown stops the server, lets requests in flight finish until ctx ends, and stops the
// pool and the logger (GIL released).
func (inst *instance) shutdown(ctx context.Context) {
	if err := inst.srv.Shutdown(ctx); err != nil {
		inst.logger.Log("waitress", slog.LevelWarn, "shutdown: "+err.Error())
	}
	left := time.Second
	if d, ok := ctx.Deadline(); ok && ctx.Err() == nil && time.Until(d) > left {
		left = time.Until(d)
	}
	if inst.pool.Shutdown(left) {
		inst.app.Release()
	} else {
		// A thread is stuck in the application: it keeps its objects.
		inst.logger.Log("waitress", slog.LevelWarn, "application threads still busy after the shutdown")
	}
	inst.logger.Close()
	inst.mu.Lock()
	inst.state = closed
	inst.mu.Unlock()
	close(inst.ended)
}

// closeServer(handle, wait) stops a server: one that never ran is released at once; a running
// one is told to stop, and with wait the call returns only when it has.
func closeServer(c *python.ExtCall, args []any) (any, error) {
	if len(args) != 2 {
		return nil, &python.Exception{Type: "TypeError", Msg: "close(handle, wait) takes 2 arguments"}
	}
	id, inst, err := lookup(args[0])
	if err != nil {
		return nil, nil // closed already
	}
	wait, _ := args[1].(int64)
	inst.mu.Lock()
	state := inst.state
	if state == created {
		inst.state = running // shutdown marks it closed
	}
	inst.mu.Unlock()
	switch state {
	case created:
		forget(id)
		c.WithoutGIL(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			inst.shutdown(ctx)
		})
	case running:
		inst.requestStop()
		if wait != 0 {
			c.WithoutGIL(func() { <-inst.ended })
		}
	}
	return nil, nil
}
