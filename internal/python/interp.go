// Package python is waitress-go's only cgo: it finds the user's interpreter, loads its
// libpython at run time, starts and stops it, manages GIL and thread states, and runs the C half
// of a WSGI call. Nothing else in the module touches the Python C API.
package python

/*
#cgo linux LDFLAGS: -ldl
// MinGW has clock_gettime in winpthread; static, so the .exe needs no DLL beyond the system's.
#cgo windows LDFLAGS: -l:libwinpthread.a
#include <stdlib.h>
#include "capi.h"
#include "glue.h"
*/
import "C"

import (
	_ "embed"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

//go:embed bootstrap.py
var bootstrapSource string

func init() {
	// Python's main thread must be the process's main thread (signals, atexit, finalisation), so
	// the main goroutine stays on it: Start and Finalize must be called from main.
	runtime.LockOSThread()
}

// started is the interpreter singleton's state: Python can be initialised once per process.
var started struct {
	sync.Mutex
	on bool
	in *Interpreter
}

// LoadError is a failure to find or load libpython: the CLI prints it and exits with status 2.
type LoadError struct{ Msg string }

func (e *LoadError) Error() string { return e.Msg }

// Start loads in's libpython, initialises Python so that sys.prefix, sys.executable and
// sys.path are those of in (a venv's, typically) with cwd first on sys.path, and releases the
// GIL. It must be called from the main goroutine.
func Start(in *Interpreter, cwd string) error {
	started.Lock()
	defer started.Unlock()
	if started.on {
		return errors.New("python: interpreter already started")
	}
	if !onMainThread() {
		return errors.New("python: Start must run on the main thread (call it from main)")
	}
	if err := in.checkHome(); err != nil {
		return err
	}
	var tried []string
	var loaded string
	for _, cand := range in.LibraryCandidates() {
		cs := C.CString(cand)
		msg := C.wgo_load(cs)
		C.free(unsafe.Pointer(cs))
		if msg == nil {
			loaded = cand
			break
		}
		tried = append(tried, cand)
	}
	if loaded == "" {
		if len(tried) == 0 {
			return &LoadError{fmt.Sprintf("%s (Python %s, from %s) was built without a shared libpython; %s",
				in.Executable, in.Version, in.How, in.noSharedLibHint())}
		}
		return &LoadError{fmt.Sprintf("%s (Python %s, from %s) has no loadable shared libpython (tried %s); %s",
			in.Executable, in.Version, in.How, strings.Join(tried, ", "), in.noSharedLibHint())}
	}
	prog := C.CString(in.Executable)
	src := C.CString(bootstrapSource)
	defer C.free(unsafe.Pointer(src))
	// prog is kept: Python may hold on to the program name for the life of the process.
	var cerr *C.char
	if C.wgo_initialize(prog, src, &cerr) != 0 {
		msg := C.GoString(cerr)
		C.free(unsafe.Pointer(cerr))
		return &LoadError{fmt.Sprintf("%s: %s", loaded, msg)}
	}
	started.on, started.in = true, in
	path := C.wgo_new_list()
	for _, p := range in.Path {
		C.wgo_append(path, pyStr(p))
	}
	args := []*C.PyObject{pyStr(in.Executable), pyStr(in.Prefix), pyStr(in.ExecPrefix), path, pyStr(cwd)}
	_, err := callEngine("setup_path", args...)
	for _, a := range args {
		C.wgo_decref(a)
	}
	C.wgo_release_main()
	if err != nil {
		return fmt.Errorf("python: setting up sys.path: %w", err)
	}
	return nil
}

// Finalize stops the interpreter (atexit handlers run). It must be called from the main
// goroutine, after every worker thread has been closed.
func Finalize() error {
	started.Lock()
	defer started.Unlock()
	if !started.on {
		return nil
	}
	started.on = false
	if rc := C.wgo_finalize(); rc != 0 {
		return errors.New("python: Py_FinalizeEx reported an error (see stderr)")
	}
	return nil
}

// pyStr makes a new str reference from a Go string (GIL held).
func pyStr(s string) *C.PyObject {
	p := unsafe.Pointer(unsafe.StringData(s))
	return C.wgo_str((*C.char)(p), C.Py_ssize_t(len(s)))
}

// PyError is a Python exception turned into Go: its message, or a formatted traceback.
type PyError struct{ Text string }

func (e *PyError) Error() string { return e.Text }

// fetchError converts the pending Python exception into a *PyError (GIL held).
func fetchError() error {
	msg := C.wgo_error_message()
	defer C.free(unsafe.Pointer(msg))
	return &PyError{Text: strings.TrimRight(C.GoString(msg), "\n")}
}

// callEngine calls a function of the bootstrap module with borrowed arguments (GIL held). The
// result is a new reference the caller must release with decref.
func callEngine(name string, args ...*C.PyObject) (*C.PyObject, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var argv **C.PyObject
	if len(args) > 0 {
		// C memory: the array is read by C only during the call, but holds C pointers anyway.
		arr := (*[1 << 20]*C.PyObject)(C.malloc(C.size_t(len(args)) * C.size_t(unsafe.Sizeof(args[0]))))
		defer C.free(unsafe.Pointer(arr))
		copy(arr[:len(args)], args)
		argv = &arr[0]
	}
	r := C.wgo_call(cname, C.int(len(args)), argv)
	if r == nil {
		return nil, fetchError()
	}
	return r, nil
}

func decref(o *C.PyObject) { C.wgo_decref(o) }

// Thread is an OS thread registered with the interpreter. Its goroutine must stay locked to the
// thread (runtime.LockOSThread) from NewThread to Close.
type Thread struct {
	ts     *C.PyThreadState
	gstate C.int
	held   bool
}

// NewThread registers the calling (locked) OS thread with Python and returns with the GIL
// released.
func NewThread() *Thread {
	t := &Thread{}
	t.ts = C.wgo_thread_new(&t.gstate)
	return t
}

// Acquire takes the GIL for this thread.
func (t *Thread) Acquire() {
	C.wgo_acquire(t.ts)
	t.held = true
}

// Release gives the GIL up.
func (t *Thread) Release() {
	t.held = false
	t.ts = C.wgo_release()
}

// Held reports whether this thread holds the GIL (as far as our own calls go).
func (t *Thread) Held() bool { return t.held }

// Close unregisters the thread; the GIL must not be held.
func (t *Thread) Close() {
	C.wgo_thread_close(t.ts, t.gstate)
}

// AcquireHere takes the GIL with the calling OS thread's own thread state, which is created and
// registered with Python the first time the thread calls it and stays registered. The goroutine
// must stay locked to its thread (runtime.LockOSThread) until ReleaseHere. Unlike a Thread, this
// lets any of Go's threads run Python, so the goroutine that takes the GIL need not be parked
// on a dedicated thread between uses.
func AcquireHere() { C.wgo_acquire_here() }

// ReleaseHere gives up the GIL taken with AcquireHere.
func ReleaseHere() { C.wgo_release_here() }

// WithGIL runs f on a locked OS thread holding the GIL, for the rare calls outside the worker
// pool (loading the app, logging). f must not block on Go I/O.
func WithGIL(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s := C.wgo_gil_ensure()
	defer C.wgo_gil_release(s)
	return f()
}
