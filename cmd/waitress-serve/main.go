// Command waitress-serve serves a Python WSGI application, with Waitress's command line:
//
//	waitress-serve --host 127.0.0.1 hello:app
//	waitress-serve --host 127.0.0.1 --call hello:create_app
//
// It loads the libpython of the user's interpreter (--python, else $VIRTUAL_ENV, else python3
// on PATH) at run time; see docs/ for every option.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/waitress-go/waitress-go/internal/options"
	"github.com/waitress-go/waitress-go/internal/python"
	"github.com/waitress-go/waitress-go/internal/server"
	"github.com/waitress-go/waitress-go/internal/wsgi"
)

// drainTimeout bounds how long a stop signal waits for in-flight requests.
const drainTimeout = 30 * time.Second

func main() {
	os.Exit(run(filepath.Base(os.Args[0]), os.Args[1:]))
}

// run is the whole command; it returns the exit status. It runs on the main goroutine, which
// package python keeps on the main OS thread, where Python must be started and stopped.
func run(name string, args []string) int {
	opts, err := options.ParseArgs(args)
	if errors.Is(err, options.ErrHelp) {
		fmt.Print(options.Help(name))
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v (see %s --help)\n", name, err, name)
		return 2
	}
	for _, w := range opts.Warnings {
		fmt.Fprintf(os.Stderr, "%s: warning: %s\n", name, w)
	}

	in, err := python.Find(opts.Python)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", name, err)
		return 2
	}
	cwd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: current directory: %v\n", name, err)
		return 2
	}
	if err := python.Start(in, cwd); err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", name, err)
		return 2
	}
	status := serve(name, &opts)
	return status
}

// serve runs with the interpreter started and stops it before returning.
func serve(name string, opts *options.Options) (status int) {
	finalize := true
	defer func() {
		if finalize {
			if err := python.Finalize(); err != nil && status == 0 {
				fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			}
		}
	}()
	if err := wsgi.SetupCLILogging(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: setting up logging: %v\n", name, err)
		return 1
	}
	app, err := wsgi.Load(opts.App, opts.Call)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		return 1
	}
	if err := wsgi.BasicConfig(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: setting up logging: %v\n", name, err)
		return 1
	}
	logger := wsgi.NewLogger()
	defer logger.Close()

	pool := wsgi.NewPool(app, wsgi.PoolConfig{Threads: opts.Threads, Log: logger.Log})
	cfg := server.ConfigFromOptions(opts)
	if opts.AccessLog {
		if cfg.AccessLog, err = server.NewAccessLog(opts.AccessLogFormat, logger); err != nil {
			fmt.Fprintf(os.Stderr, "%s: error: %v\n", name, err)
			pool.Shutdown(time.Second)
			return 1
		}
	}
	srv, err := server.New(cfg, pool, logger)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", name, err)
		pool.Shutdown(time.Second)
		return 1
	}
	for _, fd := range opts.Sockets {
		l, err := net.FileListener(os.NewFile(uintptr(fd), fmt.Sprintf("socket %d", fd)))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: error: socket %d: %v\n", name, fd, err)
			pool.Shutdown(time.Second)
			return 1
		}
		srv.AddListener(l)
	}
	if err := srv.Listen(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", name, err)
		pool.Shutdown(time.Second)
		return 1
	}
	for _, u := range srv.URLs() {
		logger.Log("waitress", slog.LevelInfo, "Serving on "+u)
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	usr1 := make(chan os.Signal, 1)
	notifyStats(usr1)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	go func() {
		for range usr1 {
			printStats(pool)
		}
	}()

	select {
	case sig := <-sigs:
		go func() {
			<-sigs // a second signal: stop waiting
			fmt.Fprintf(os.Stderr, "%s: second %v, exiting now\n", name, sig)
			os.Exit(1)
		}()
	case err := <-served:
		if err != nil {
			logger.Log("waitress", slog.LevelError, err.Error())
			status = 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		logger.Log("waitress", slog.LevelWarn, "shutdown: "+err.Error())
	}
	left := time.Until(deadline(ctx))
	if !pool.Shutdown(max(left, time.Second)) {
		// A thread is stuck in the application; finalising would wait on it forever.
		finalize = false
		logger.Log("waitress", slog.LevelWarn, "application threads still busy at exit; not finalising Python")
	}
	if os.Getenv("WAITRESS_GO_STATS") != "" {
		printStats(pool)
	}
	logger.Flush()
	return status
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// printStats writes the pool's counters, including the GIL time spent outside the application
// per request, which the benchmark reads.
func printStats(pool *wsgi.Pool) {
	st := pool.Stats()
	per := int64(0)
	app := int64(0)
	queued := int64(0)
	if st.Requests > 0 {
		per = st.GILNanosOutsideApp / st.Requests
		app = st.AppNanos / st.Requests
		queued = st.QueueNanos / st.Requests
	}
	fmt.Fprintf(os.Stderr, "waitress-go stats: requests=%d gil_held_ns_per_request=%d app_ns_per_request=%d queue_ns_per_request=%d queue_depth=%d extra_wakes=%d\n",
		st.Requests, per, app, queued, st.QueueDepth, st.ExtraWakes)
}
