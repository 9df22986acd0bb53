// The C half of one WSGI call: build the environ, call the app with a start_response written
// in C, iterate the response and hold its chunks for Go to copy. All of it runs with the GIL
// held on the worker's thread, in as few crossings from Go as possible.
#ifndef WGO_WSGICALL_H
#define WGO_WSGICALL_H

#include "capi.h"

// Outcomes of wgo_run.
enum {
	WGO_DONE = 0,  // response complete; head and remaining chunks ready; iterable closed
	WGO_FILE = 1,  // head ready; send file_fd from file_off for file_size bytes; iterable closed
	WGO_ERROR = 2, // the app failed; err_msg/err_tb set; iterable closed
	WGO_ABORT = 3, // the client went away during a flush; iterable closed
	WGO_MORE = 4,  // a streaming iterable produced chunks: take them, then call wgo_resume
};

// wgo_vec is one pending body chunk: memory of a bytes object kept alive by req->chunks.
typedef struct {
	const char *p;
	Py_ssize_t n;
	PyObject *obj; // the bytes object (borrowed from req->chunks)
} wgo_vec;

// wgo_env holds what is shared by every request of one application.
typedef struct {
	PyObject *app;
	PyObject *template;    // dict of the constant environ items
	PyObject *bytesio;     // io.BytesIO
	PyObject *open_input;  // bootstrap: fd -> file object for a spooled body
	PyObject *format_exc;  // bootstrap: (type, value, tb) -> (message, traceback)
	PyObject *file_info;   // bootstrap: wrapper -> (fd, offset, size) or None
	PyObject *wrapper_type;
	PyObject *disconnected_exc;
	PyObject *empty_bytes;
	PyObject *key_input, *key_disconnected;
	PyObject **keys; // interned environ keys, by index
	int nkeys, capkeys;
	PyTypeObject *sr_type;
} wgo_env;

// wgo_req is one request's state, reused by its worker.
typedef struct wgo_req {
	wgo_env *env;
	// Inputs, set by Go before wgo_run.
	const char *strbuf;
	const int32_t *items; // per variable: key index or -1, key off, key len, value off, value len
	int32_t nitems;
	const char *body;
	Py_ssize_t bodylen;
	int body_fd; // -1 when the body is in memory
	uintptr_t handle;
	Py_ssize_t budget; // pending bytes that trigger a flush to Go

	// Objects owned for the duration of the request.
	PyObject *sr;
	PyObject *environ;
	PyObject *result;
	PyObject *iter;
	int streaming; // iter may block between items: hand each item to Go before the next
	PyObject *chunks; // list of bytes awaiting copy

	// Outputs for Go.
	wgo_vec *vec;
	int nvec, capvec;
	Py_ssize_t pending;
	char *head;
	size_t headlen, headcap;
	int head_ready;   // head holds the serialized status and headers
	int head_taken;   // Go has delivered them (Output.Start)
	int headers_sent; // a non-empty body chunk was produced (PEP 3333 "headers sent")
	int file_fd;
	long long file_off, file_size;
	char *err_msg, *err_tb;
	int64_t app_ns;
} wgo_req;

int wgo_env_init(wgo_env *env, PyObject *bootstrap, PyObject *app, PyObject *template);
int wgo_intern(wgo_env *env, const char *s, Py_ssize_t n);
wgo_req *wgo_req_new(wgo_env *env);
int wgo_run(wgo_req *req);
int wgo_resume(wgo_req *req, int gone);
void wgo_take_chunks(wgo_req *req);
void wgo_incref(PyObject *o);
void wgo_decref_all(PyObject **objs, int n);
void wgo_finish(wgo_req *req);
void wgo_req_free(wgo_req *req);
int wgo_serialize_head(wgo_req *req);

#endif
