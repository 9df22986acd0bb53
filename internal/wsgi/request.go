// Package wsgi runs PEP 3333 applications on a pool of Python threads.
//
// The server hands it a fully read Request (the CGI variables already worked out in Go, the body
// in memory or in a spool file) and an Output to write the response into. The package builds the
// environ in one crossing into Python, calls the app, iterates the response and copies the bytes
// back to Go, all on a worker thread that holds the GIL only while Python runs.
package wsgi

import (
	"os"

	"github.com/waitress-go/waitress-go/internal/python"
)

// EnvVar is one CGI variable of the environ: a native-string key and its value, which becomes a
// latin-1 decoded str in Python (PEP 3333 "native strings").
type EnvVar = python.EnvVar

// Request is one request ready for the application. Everything in it was prepared by the server
// outside the GIL; the pool only turns it into Python objects.
type Request struct {
	// Environ lists the CGI variables in the order they should be inserted: REQUEST_METHOD,
	// SCRIPT_NAME, PATH_INFO, QUERY_STRING, REQUEST_URI, SERVER_PROTOCOL, SERVER_NAME,
	// SERVER_PORT, REMOTE_ADDR, REMOTE_PORT, CONTENT_TYPE, CONTENT_LENGTH, HTTP_* and also
	// "wsgi.url_scheme" (a str in Python like the rest). Values may alias connection buffers:
	// they stay valid until Output.Done is called.
	Environ []EnvVar

	// Body is the whole request body when it is held in memory.
	Body []byte
	// BodyFile, when not nil, holds the body instead (spooled to a temporary file); wsgi.input
	// reads it from offset 0. The server owns and closes the file after Output.Done.
	BodyFile *os.File

	// Disconnected reports whether the client has gone away; it backs
	// environ["waitress.client_disconnected"]. It is called with the GIL held and must not block.
	Disconnected func() bool

	// Out receives the response.
	Out Output
}

// Header is one response header as the application gave it (name and value already checked to
// be latin-1 and free of CR/LF).
type Header struct {
	Name, Value string
}

// Output receives one response. The pool calls its methods from a worker thread, in order:
// Start once (possibly never, if the app fails before starting), then any number of Body and
// File calls, then Done exactly once. Start, Body and File may be called with the GIL held and
// must not block. Wait is called with the GIL released.
type Output interface {
	// Start delivers the final status line text ("200 OK") and headers, before any body bytes.
	Start(status string, headers []Header)

	// Body appends a copy of p to the response. It returns true when the buffered, unsent output
	// is above the high watermark: the pool then releases the GIL and calls Wait before producing
	// more.
	Body(p []byte) (full bool)

	// File queues size bytes of f from offset to be sent by the OS (sendfile). The Output owns f
	// and closes it once sent; size is -1 to send until end of file.
	File(f *os.File, offset, size int64)

	// Wait blocks until buffered output has drained below the high watermark. It returns false
	// when the client has gone away, and the pool stops iterating the response (and closes it).
	Wait() bool

	// Done ends the response. err is nil on success; otherwise it describes an application
	// failure, and whether Start had already been called tells the server whether it can still
	// send an error page or must close the connection.
	Done(err *AppError)
}

// Borrower may be implemented by an Output to send large body chunks straight from the
// application's bytes objects instead of copying them. BodyBorrowed is Body without the copy: if
// it accepts p it calls release, from any goroutine, once it no longer reads p; if not, it calls
// nothing and the pool falls back to Body.
type Borrower interface {
	BodyBorrowed(p []byte, release func()) (accepted, full bool)
}

// DeferredDone may be implemented by an Output to let the pool end responses in batches: the
// pool calls DoneDeferred (instead of Done) from a worker that holds the GIL and Wake later for
// several responses at once, ideally after releasing the GIL. Waking the goroutine that writes
// a response costs the waker a system call, which is time the GIL is held for nothing.
type DeferredDone interface {
	DoneDeferred(err *AppError)
	Wake()
}

// DirectWriter may be implemented by a DeferredDone Output to send a finished response from the
// worker's own thread. The pool calls WriteNow, before Wake, for the responses a worker finished
// last when the queue has run empty and the worker has released the GIL: the response then
// reaches the client without waiting for the goroutine that writes it to be woken, which on a
// lightly loaded server is most of a request's latency. WriteNow must not block.
type DirectWriter interface {
	WriteNow()
}

// AppError describes an exception raised by the application (or a response that broke PEP 3333).
type AppError struct {
	// Message is the one-line summary, e.g. "ValueError: boom".
	Message string
	// Traceback is the formatted Python traceback (for logging and --expose-tracebacks).
	Traceback string
	// HeadersSent is true when Start had been called before the failure.
	HeadersSent bool
	// Disconnected is true when the response was abandoned because the client went away.
	Disconnected bool
}

func (e *AppError) Error() string { return e.Message }
