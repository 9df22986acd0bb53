package python

/*
#include <stdlib.h>
#include "capi.h"
#include "glue.h"
#include "wsgicall.h"
*/
import "C"

import (
	"encoding/binary"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// EnvVar is one CGI variable of the environ: a key and a value that becomes a latin-1 str.
type EnvVar struct {
	Key   string
	Value []byte
}

// App is a loaded WSGI application with its environ template and interned keys.
type App struct {
	env *C.wgo_env

	mu   sync.Mutex
	keys map[string]int32 // environ key → index of its interned str in env.keys
}

// LoadApp imports spec ("module:object", object may be dotted), calls it when call is set, and
// prepares the per-request machinery. Errors are *PyError whose text is the one-line reason (the
// traceback, if any, has already been printed to stderr). The GIL must be held (see WithGIL).
func LoadApp(spec string, call bool) (*App, error) {
	s := pyStr(spec)
	b := C.wgo_bool(boolInt(call))
	app, err := callEngine("load_app", s, b)
	decref(s)
	decref(b)
	if err != nil {
		return nil, err
	}
	defer decref(app)
	tmpl, err := callEngine("environ_template")
	if err != nil {
		return nil, err
	}
	defer decref(tmpl)
	a := &App{env: (*C.wgo_env)(C.calloc(1, C.size_t(unsafe.Sizeof(C.wgo_env{})))), keys: map[string]int32{}}
	if C.wgo_env_init(a.env, C.wgo_engine(), app, tmpl) != 0 {
		return nil, fetchError()
	}
	return a, nil
}

func boolInt(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// maxInternedKeys bounds the interned environ keys: clients choose header names, and each new
// name would otherwise stay in memory for good.
const maxInternedKeys = 2048

// keyIndex returns the index of key's interned str, creating it on first use, or -1 once the
// table is full (GIL held).
func (a *App) keyIndex(key string) int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i, ok := a.keys[key]; ok {
		return i
	}
	if len(a.keys) >= maxInternedKeys {
		return -1
	}
	p := unsafe.Pointer(unsafe.StringData(key))
	i := int32(C.wgo_intern(a.env, (*C.char)(p), C.Py_ssize_t(len(key))))
	if i >= 0 {
		a.keys[key] = i
	}
	return i
}

// cachedKey returns key's interned index, from the per-call cache when possible, or -1 when
// the key is not interned (GIL held).
func (c *Call) cachedKey(key string) int32 {
	p := unsafe.StringData(key)
	e := &c.keyCache[(uintptr(unsafe.Pointer(p))>>3^uintptr(len(key)))%uintptr(len(c.keyCache))]
	if unsafe.StringData(e.key) == p && len(e.key) == len(key) && p != nil {
		return e.idx
	}
	idx := c.app.keyIndex(key)
	if idx >= 0 {
		*e = keyCacheEntry{key: key, idx: idx}
	}
	return idx
}

// Sink receives what a Call produces while the app runs. Both methods run on the worker's
// thread with the GIL held.
type Sink interface {
	// Flush is called when the pending body passed the budget during the app, or when a
	// streaming iterable produced an item: the sink takes the head (once) and chunks from c,
	// and may release and retake the GIL to wait for the client. It returns false when the
	// client is gone.
	Flush(c *Call) bool
	// Disconnected backs waitress.client_disconnected.
	Disconnected() bool
}

// Outcome is how a Call ended.
type Outcome int

// Outcomes of Call.Run.
const (
	Done  Outcome = C.WGO_DONE  // complete; head and remaining chunks are ready
	File  Outcome = C.WGO_FILE  // send FileInfo() by the OS after the head
	Error Outcome = C.WGO_ERROR // the app failed: see Err
	Abort Outcome = C.WGO_ABORT // the client went away during a flush
)

// Call runs requests for one worker thread; it is reused from request to request.
type Call struct {
	app    *App
	req    *C.wgo_req
	handle cgo.Handle
	sink   Sink

	strbuf []byte
	items  []int32
	// keyCache maps a key string's data pointer to its interned index without locking: the
	// server passes the same key strings request after request.
	keyCache [256]keyCacheEntry
}

// keyCacheEntry holds the key string itself: while it is referenced here its memory cannot be
// reused for another string, so an equal data pointer and length mean the same key.
type keyCacheEntry struct {
	key string
	idx int32
}

// NewCall makes the per-worker request state (GIL held).
func (a *App) NewCall() *Call {
	c := &Call{app: a, req: C.wgo_req_new(a.env)}
	c.handle = cgo.NewHandle(c)
	c.req.handle = C.uintptr_t(c.handle)
	return c
}

// SetBudget sets how many body bytes may be pending before the app's output is flushed to the sink.
func (c *Call) SetBudget(n int) { c.req.budget = C.Py_ssize_t(n) }

// Run builds the environ from vars, body (or the spooled body file descriptor bodyFD, which
// Python takes over; -1 for none), calls the app and iterates its response. The GIL must be
// held. After Run, read Head, Chunks, FileInfo or Err, then call Finish.
func (c *Call) Run(vars []EnvVar, body []byte, bodyFD int, sink Sink) Outcome {
	c.strbuf = c.strbuf[:0]
	c.items = c.items[:0]
	for _, v := range vars {
		k := c.cachedKey(v.Key)
		koff := int32(len(c.strbuf))
		if k < 0 {
			c.strbuf = append(c.strbuf, v.Key...)
		}
		c.items = append(c.items, k, koff, int32(len(v.Key)), int32(len(c.strbuf)), int32(len(v.Value)))
		c.strbuf = append(c.strbuf, v.Value...)
	}
	r := c.req
	if len(c.strbuf) > 0 {
		r.strbuf = (*C.char)(unsafe.Pointer(&c.strbuf[0]))
	} else {
		r.strbuf = nil
	}
	if len(c.items) > 0 {
		r.items = (*C.int32_t)(unsafe.Pointer(&c.items[0]))
	} else {
		r.items = nil
	}
	r.nitems = C.int32_t(len(c.items) / 5)
	if len(body) > 0 {
		r.body = (*C.char)(unsafe.Pointer(&body[0]))
	} else {
		r.body = nil
	}
	r.bodylen = C.Py_ssize_t(len(body))
	r.body_fd = C.int(bodyFD)
	c.sink = sink
	out := Outcome(C.wgo_run(r))
	// The C side must not keep Go pointers past the call.
	r.strbuf, r.items, r.body = nil, nil, nil
	for out == more {
		gone := C.int(0)
		if c.sink != nil && !c.sink.Flush(c) {
			gone = 1
		}
		out = Outcome(C.wgo_resume(r, gone))
	}
	return out
}

// more is wgo_run's "streaming output is pending" outcome, handled inside Run.
const more Outcome = C.WGO_MORE

// HeadReady reports whether a status and headers are available and not yet taken.
func (c *Call) HeadReady() bool { return c.req.head_ready != 0 && c.req.head_taken == 0 }

// Head returns the status line text and headers the app gave (copied into Go memory) and marks
// them taken.
func (c *Call) Head() (status string, headers [][2]string) {
	r := c.req
	buf := unsafe.Slice((*byte)(unsafe.Pointer(r.head)), int(r.headlen))
	next := func() string {
		n := binary.LittleEndian.Uint32(buf)
		s := string(buf[4 : 4+n])
		buf = buf[4+n:]
		return s
	}
	status = next()
	for len(buf) > 0 {
		k := next()
		v := next()
		headers = append(headers, [2]string{k, v})
	}
	r.head_taken = 1
	return status, headers
}

// Chunks calls f with each pending body chunk, then drops them. The memory belongs to the
// chunk's bytes object, obj: f must copy it, or call obj.Keep to go on reading it after Chunks.
func (c *Call) Chunks(f func(b []byte, obj Chunk)) {
	r := c.req
	if r.nvec == 0 {
		return
	}
	vec := unsafe.Slice(r.vec, int(r.nvec))
	for _, v := range vec {
		f(unsafe.Slice((*byte)(unsafe.Pointer(v.p)), int(v.n)), Chunk{v.obj})
	}
	C.wgo_take_chunks(r)
}

// Chunk is a body chunk's bytes object, borrowed for the duration of a Chunks callback.
type Chunk struct{ obj *C.PyObject }

// Keep takes a reference to the chunk's bytes object (GIL held), so that its memory stays
// valid, and unchanged (bytes are immutable), until the Ref is released.
func (ch Chunk) Keep() Ref {
	C.wgo_incref(ch.obj)
	return Ref{ch.obj}
}

// Ref is a reference to a Python object owned by Go. Whoever holds it releases it exactly once,
// with Release.
type Ref struct{ obj *C.PyObject }

// Release drops refs (GIL held).
func Release(refs []Ref) {
	if len(refs) == 0 {
		return
	}
	// A Ref is laid out as the one pointer it holds, so refs is already the C array.
	C.wgo_decref_all((**C.PyObject)(unsafe.Pointer(&refs[0])), C.int(len(refs)))
}

// FileInfo returns the duplicated descriptor, offset and size for a File outcome; the caller
// owns the descriptor.
func (c *Call) FileInfo() (fd int, offset, size int64) {
	return int(c.req.file_fd), int64(c.req.file_off), int64(c.req.file_size)
}

// Err returns the one-line message and the traceback of an Error outcome ("" if none).
func (c *Call) Err() (msg, traceback string) {
	if c.req.err_msg == nil {
		return "", ""
	}
	msg = C.GoString(c.req.err_msg)
	if c.req.err_tb != nil {
		traceback = C.GoString(c.req.err_tb)
	}
	return msg, traceback
}

// HeadersSent reports whether the app produced body bytes (PEP 3333's "headers sent").
func (c *Call) HeadersSent() bool { return c.req.headers_sent != 0 }

// AppNanos is the time spent inside the application (call, iteration, close) in the last Run.
func (c *Call) AppNanos() int64 { return int64(c.req.app_ns) }

// Finish releases everything the request held (GIL held).
func (c *Call) Finish() {
	C.wgo_finish(c.req)
	c.sink = nil
}

// Close frees the per-worker request state (GIL held); c must not be used again.
func (c *Call) Close() {
	C.wgo_req_free(c.req)
	c.req = nil
	c.handle.Delete()
}

//export wgoFlush
func wgoFlush(h C.uintptr_t) C.int {
	c := cgo.Handle(h).Value().(*Call)
	if c.sink == nil || c.sink.Flush(c) {
		return 0
	}
	return 1
}

//export wgoDisconnected
func wgoDisconnected(h C.uintptr_t) C.int {
	c := cgo.Handle(h).Value().(*Call)
	if c.sink != nil && c.sink.Disconnected() {
		return 1
	}
	return 0
}

// Log sends msg to Python's logging (logger name, numeric level) (GIL held).
func Log(name string, level int, msg string) {
	n, l, m := pyStr(name), C.wgo_long(C.longlong(level)), pyStr(msg)
	r, err := callEngine("log", n, l, m)
	decref(n)
	decref(l)
	decref(m)
	if err == nil {
		decref(r)
	}
}

// CallEngine0 calls a no-argument function of the bootstrap module for its effect (GIL held):
// "setup_cli_logging", "basic_config".
func CallEngine0(name string) error {
	r, err := callEngine(name)
	if err != nil {
		return err
	}
	decref(r)
	return nil
}

// Counts returns the interpreter's gc object count and allocated blocks (GIL held), for leak
// checks.
func Counts() (objects, blocks int64) {
	r, err := callEngine("counts")
	if err != nil {
		return -1, -1
	}
	defer decref(r)
	return int64(C.wgo_tuple_long(r, 0)), int64(C.wgo_tuple_long(r, 1))
}

// EvalInt evaluates a Python expression to an int (GIL held); for tests and diagnostics.
func EvalInt(expr string) (int64, error) {
	e := pyStr(expr)
	r, err := callEngine("eval_int", e)
	decref(e)
	if err != nil {
		return 0, err
	}
	defer decref(r)
	return int64(C.wgo_long_value(r)), nil
}
