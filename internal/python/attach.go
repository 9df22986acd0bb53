package python

/*
#include <stdlib.h>
#include "capi.h"
#include "glue.h"
#include "attach.h"
#include "wsgicall.h"
*/
import "C"

import (
	"fmt"
	"os"
	"sync"
	"time"
	"unsafe"
)

// Attached mode: instead of embedding Python (Start/Finalize), the Go code is an extension
// module (go build -buildmode=c-shared) imported by a Python that is already running. The
// interpreter then belongs to the caller: it is never initialised or finalised here, and an
// extension function that serves releases the caller's GIL while Go works.

// ExtFunc is one function of the extension module.
type ExtFunc struct {
	Name, Doc string
	// Fn runs on the caller's thread with the GIL held. args are the positional arguments:
	// nil (None), int64, string, []any (a list or tuple, converted likewise) or *Object
	// (anything else, borrowed for the duration of the call). The result is converted back:
	// nil, string, int, int64, bool, []string or []any (a tuple). A non-nil error is raised:
	// *Exception as the builtin class it names, anything else as RuntimeError.
	Fn func(c *ExtCall, args []any) (any, error)
}

// Exception is an error raised into Python as the builtin exception class Type.
type Exception struct {
	Type string // "TypeError", "ValueError", "OSError", ...
	Msg  string
}

func (e *Exception) Error() string { return e.Type + ": " + e.Msg }

// Object is a Python object handed to an extension function, borrowed for the call.
type Object struct{ p *C.PyObject }

// ExtCall is one call of an extension function, on the Python caller's (locked) OS thread.
type ExtCall struct {
	// pending is the exception a signal handler raised while the call was blocked; it is
	// raised when the call returns.
	pending [3]*C.PyObject
}

// extModule is the singleton extension module's function table.
var extModule struct {
	once  sync.Once
	funcs []ExtFunc
}

// Attach is the body of the extension module's PyInit function: it finds the running
// interpreter's C API in the process, creates module modname with the bootstrap code and
// funcs, and returns the module (a new PyObject* reference), or nil with a Python exception
// set. It must be called once, by the import of modname.
func Attach(modname string, funcs []ExtFunc) unsafe.Pointer {
	first := false
	extModule.once.Do(func() { first = true })
	if !first {
		fmt.Fprintln(os.Stderr, "waitress_go: the engine module can be imported only once per process")
		return nil
	}
	extModule.funcs = funcs
	cname := C.CString(modname) // kept: the module definition refers to it for ever
	src := C.CString(bootstrapSource)
	defer C.free(unsafe.Pointer(src))
	names := make([]*C.char, len(funcs))
	docs := make([]*C.char, len(funcs))
	for i, f := range funcs {
		names[i], docs[i] = C.CString(f.Name), C.CString(f.Doc) // kept, as cname
	}
	// The arrays are read during the call only, but hold C pointers: C memory, to be plain.
	cnames := (**C.char)(C.malloc(C.size_t(len(funcs)+1) * C.size_t(unsafe.Sizeof(names[0]))))
	cdocs := (**C.char)(C.malloc(C.size_t(len(funcs)+1) * C.size_t(unsafe.Sizeof(docs[0]))))
	defer C.free(unsafe.Pointer(cnames))
	defer C.free(unsafe.Pointer(cdocs))
	copy(unsafe.Slice(cnames, len(funcs)), names)
	copy(unsafe.Slice(cdocs, len(funcs)), docs)
	var cerr *C.char
	mod := C.wgo_attach(cname, src, C.int(len(funcs)), cnames, cdocs, &cerr)
	if mod == nil && cerr != nil {
		// Python's API may not be reachable: say why on stderr, where the import error points.
		fmt.Fprintf(os.Stderr, "waitress_go: cannot attach to this Python: %s\n", C.GoString(cerr))
	}
	return unsafe.Pointer(mod)
}

//export wgoExtCall
func wgoExtCall(idx C.int, args *C.PyObject) *C.PyObject {
	f := extModule.funcs[idx]
	n := int(C.wgo_seq_len(args))
	goargs := make([]any, n)
	for i := range n {
		goargs[i] = fromPy(C.wgo_seq_item(args, C.Py_ssize_t(i)))
	}
	c := &ExtCall{}
	res, err := f.Fn(c, goargs)
	if c.pending[0] != nil {
		C.wgo_exc_restore(&c.pending[0])
		return nil
	}
	if err != nil {
		raise(err)
		return nil
	}
	r := toPy(res)
	if r == nil {
		raise(fmt.Errorf("%s returned an unsupported %T", f.Name, res))
	}
	return r
}

func raise(err error) {
	typ, msg := "RuntimeError", err.Error()
	if e, ok := err.(*Exception); ok {
		typ, msg = e.Type, e.Msg
	}
	ct, cm := C.CString(typ), C.CString(msg)
	C.wgo_raise(ct, cm)
	C.free(unsafe.Pointer(ct))
	C.free(unsafe.Pointer(cm))
}

// fromPy converts an argument (GIL held, o borrowed).
func fromPy(o *C.PyObject) any {
	switch C.wgo_arg_kind(o) {
	case C.WGO_ARG_NONE:
		return nil
	case C.WGO_ARG_INT:
		return int64(C.wgo_long_value(o))
	case C.WGO_ARG_STR:
		s := C.wgo_utf8(o)
		defer C.free(unsafe.Pointer(s))
		return C.GoString(s)
	case C.WGO_ARG_SEQ:
		n := int(C.wgo_seq_len(o))
		out := make([]any, n)
		for i := range n {
			out[i] = fromPy(C.wgo_seq_item(o, C.Py_ssize_t(i)))
		}
		return out
	}
	return &Object{p: o}
}

// toPy converts a result into a new reference, or nil for an unsupported type (GIL held).
func toPy(v any) *C.PyObject {
	switch v := v.(type) {
	case nil:
		return C.wgo_none()
	case string:
		return pyStr(v)
	case int:
		return C.wgo_long(C.longlong(v))
	case int64:
		return C.wgo_long(C.longlong(v))
	case bool:
		return C.wgo_bool(boolInt(v))
	case []string:
		l := C.wgo_new_list()
		for _, s := range v {
			C.wgo_append(l, pyStr(s))
		}
		return l
	case []any:
		t := C.wgo_new_tuple(C.Py_ssize_t(len(v)))
		for i, item := range v {
			o := toPy(item)
			if o == nil {
				decref(t)
				return nil
			}
			C.wgo_tuple_set(t, C.Py_ssize_t(i), o)
		}
		return t
	}
	return nil
}

// signalPoll is how often a blocked call on the main thread lets Python run its signal
// handlers: the delay between Ctrl-C and the start of the shutdown.
const signalPoll = 50 * time.Millisecond

// Block releases the GIL and runs f on another goroutine until it returns. f may use WithGIL.
// If the caller is the process's main thread, Python's signal handlers run meanwhile, every
// signalPoll; each exception they raise (KeyboardInterrupt for Ctrl-C) calls interrupted
// with the count so far (1, 2, ...), GIL released, and the first one is raised to the Python
// caller when the extension function returns.
func (c *ExtCall) Block(f func(), interrupted func(n int)) {
	ts := C.wgo_ext_save()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	if !onMainThread() {
		<-done
		C.wgo_ext_restore(ts)
		return
	}
	tick := time.NewTicker(signalPoll)
	defer tick.Stop()
	count := 0
	for {
		select {
		case <-done:
			C.wgo_ext_restore(ts)
			return
		case <-tick.C:
		}
		C.wgo_ext_restore(ts)
		var exc [3]*C.PyObject
		rc := C.wgo_check_signals(&exc[0])
		if rc < 0 {
			if c.pending[0] == nil {
				c.pending = exc
			} else {
				C.wgo_exc_drop(&exc[0])
			}
		}
		ts = C.wgo_ext_save()
		if rc < 0 {
			count++
			interrupted(count)
		}
	}
}

// Interrupted reports whether a signal handler raised during Block.
func (c *ExtCall) Interrupted() bool { return c.pending[0] != nil }

// WithoutGIL releases the GIL around f, which must not block for long or touch Python except
// through WithGIL.
func (c *ExtCall) WithoutGIL(f func()) {
	ts := C.wgo_ext_save()
	defer C.wgo_ext_restore(ts)
	f()
}

// AppFromObject prepares an application object the caller already has (any callable) for
// serving, as LoadApp does for an imported one (GIL held).
func AppFromObject(o *Object) (*App, error) {
	if o == nil || o.p == nil {
		return nil, &Exception{"TypeError", "the application must be a callable object"}
	}
	tmpl, err := callEngine("environ_template")
	if err != nil {
		return nil, err
	}
	defer decref(tmpl)
	a := &App{env: (*C.wgo_env)(C.calloc(1, C.size_t(unsafe.Sizeof(C.wgo_env{})))), keys: map[string]int32{}}
	if C.wgo_env_init(a.env, C.wgo_engine(), o.p, tmpl) != 0 {
		return nil, fetchError()
	}
	return a, nil
}

// Release frees what AppFromObject or LoadApp set up, dropping the server's references to the
// application object (GIL held). Every Call of a must be finished and unused: the pool's
// threads have exited.
func (a *App) Release() {
	if a.env != nil {
		C.wgo_env_free(a.env)
		a.env = nil
	}
}
