#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wsgicall.h"
#include "_cgo_export.h"

#define INCREF(o) wgo.Py_IncRef((PyObject *)(o))
#define DECREF(o) wgo.Py_DecRef((PyObject *)(o))
#define XDECREF(o)                                                                                 \
	do {                                                                                       \
		if (o) wgo.Py_DecRef((PyObject *)(o));                                             \
	} while (0)
#define CLEAR(o)                                                                                   \
	do {                                                                                       \
		PyObject *_tmp = (PyObject *)(o);                                                  \
		(o) = NULL;                                                                        \
		if (_tmp) wgo.Py_DecRef(_tmp);                                                     \
	} while (0)
#define FLAGS(o) wgo.PyType_GetFlags(((PyObject *)(o))->ob_type)
#define IS_STR(o) (FLAGS(o) & WGO_TPFLAGS_UNICODE)
#define IS_BYTES(o) (FLAGS(o) & WGO_TPFLAGS_BYTES)
#define IS_TUPLE(o) (FLAGS(o) & WGO_TPFLAGS_TUPLE)
#define IS_LIST(o) (FLAGS(o) & WGO_TPFLAGS_LIST)

static int64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// ---- start_response ---------------------------------------------------------------------------

// wgo_sr is the start_response callable handed to the app. It outlives the request if the app
// keeps a reference; req is cleared when the request ends so late calls fail cleanly.
typedef struct {
	PyObject ob_base;
	wgo_req *req;
	PyObject *status;  // latin-1 bytes
	PyObject *headers; // list alternating name, value (latin-1 bytes)
	long long content_length;
	int called;
} wgo_sr;

static int has_crlf(PyObject *s) {
	Py_ssize_t n = wgo.PyUnicode_GetLength(s);
	if (n < 0) return -1;
	if (wgo.PyUnicode_FindChar(s, '\n', 0, n, 1) != -1) return 1;
	if (wgo.PyUnicode_FindChar(s, '\r', 0, n, 1) != -1) return 1;
	return 0;
}

static const char *hop_by_hop[] = {"connection", "keep-alive", "proxy-authenticate",
                                   "proxy-authorization", "te", "trailers",
                                   "transfer-encoding", "upgrade", NULL};

static int ascii_ieq(const char *a, Py_ssize_t n, const char *b) {
	Py_ssize_t i;
	for (i = 0; i < n; i++) {
		char c = a[i];
		if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
		if (b[i] == 0 || c != b[i]) return 0;
	}
	return b[n] == 0;
}

static PyObject *err_obj(PyObject **type, const char *fmt, PyObject *a, PyObject *b) {
	wgo.PyErr_Format(*type, fmt, a, b);
	return NULL;
}

static PyObject *sr_write(PyObject *self, PyObject *data);
static PyMethodDef sr_write_def = {"write", (PyCFunction)sr_write, WGO_METH_O,
                                   "Write body bytes (PEP 3333 write callable)."};
static PyObject *sr_disconnected(PyObject *self, PyObject *unused);
static PyMethodDef sr_disconnected_def = {"client_disconnected", (PyCFunction)sr_disconnected,
                                          WGO_METH_NOARGS,
                                          "True when the client has closed the connection."};

static PyObject *sr_call(PyObject *self, PyObject *args, PyObject *kwargs) {
	wgo_sr *sr = (wgo_sr *)self;
	PyObject *status, *headers, *exc_info = NULL;
	Py_ssize_t nargs = wgo.PyTuple_Size(args);
	if (kwargs) {
		// PEP 3333 passes positionally; accept exc_info by name too, as Waitress does.
		exc_info = wgo.PyDict_GetItemString(kwargs, "exc_info");
	}
	if (nargs < 2 || nargs > 3) {
		wgo.PyErr_SetString(*wgo.PyExc_TypeError,
		                    "start_response() takes 2 or 3 positional arguments");
		return NULL;
	}
	status = wgo.PyTuple_GetItem(args, 0);
	headers = wgo.PyTuple_GetItem(args, 1);
	if (nargs == 3) exc_info = wgo.PyTuple_GetItem(args, 2);
	if (exc_info == wgo.Py_None) exc_info = NULL;
	if (!sr->req) {
		wgo.PyErr_SetString(*wgo.PyExc_RuntimeError,
		                    "start_response called after the request finished");
		return NULL;
	}
	if (sr->called && !exc_info) {
		wgo.PyErr_SetString(*wgo.PyExc_AssertionError,
		                    "start_response called a second time without providing exc_info.");
		return NULL;
	}
	if (exc_info) {
		if (sr->req->headers_sent) {
			// Re-raise the app's exception: the response has started, nothing can replace it.
			PyObject *value, *tb;
			if (!IS_TUPLE(exc_info) || wgo.PyTuple_Size(exc_info) < 3) {
				wgo.PyErr_SetString(*wgo.PyExc_TypeError, "exc_info must be a 3-tuple");
				return NULL;
			}
			value = wgo.PyTuple_GetItem(exc_info, 1);
			tb = wgo.PyTuple_GetItem(exc_info, 2);
			if (tb != wgo.Py_None) wgo.PyException_SetTraceback(value, tb);
			wgo.PyErr_SetObject((PyObject *)value->ob_type, value);
			return NULL;
		}
		// Headers not sent yet: the new status and headers replace the old ones.
		CLEAR(sr->status);
		if (sr->headers) wgo.PyList_SetSlice(sr->headers, 0, wgo.PyList_Size(sr->headers), NULL);
		sr->content_length = -1;
	}
	sr->called = 1;
	if (!IS_STR(status)) {
		PyObject *s = wgo.PyObject_Str(status);
		if (s) {
			err_obj(wgo.PyExc_AssertionError, "status %U is not a string", s, NULL);
			DECREF(s);
		}
		return NULL;
	}
	if (has_crlf(status)) {
		wgo.PyErr_SetString(*wgo.PyExc_ValueError,
		                    "carriage return/line feed character present in status");
		return NULL;
	}
	PyObject *st = wgo.PyUnicode_AsLatin1String(status);
	if (!st) return NULL;
	XDECREF(sr->status);
	sr->status = st;

	PyObject *it = wgo.PyObject_GetIter(headers);
	if (!it) return NULL;
	if (!sr->headers) {
		sr->headers = wgo.PyList_New(0);
		if (!sr->headers) {
			DECREF(it);
			return NULL;
		}
	}
	PyObject *item;
	while ((item = wgo.PyIter_Next(it))) {
		PyObject *k, *v, *kb = NULL, *vb = NULL;
		if (!IS_TUPLE(item) || wgo.PyTuple_Size(item) != 2) {
			wgo.PyErr_Format(*wgo.PyExc_AssertionError,
			                 "Header %R is not a (name, value) tuple", item);
			goto bad;
		}
		k = wgo.PyTuple_GetItem(item, 0);
		v = wgo.PyTuple_GetItem(item, 1);
		if (!IS_STR(k)) {
			wgo.PyErr_Format(*wgo.PyExc_AssertionError,
			                 "Header name %R is not a string in %R", k, item);
			goto bad;
		}
		if (!IS_STR(v)) {
			wgo.PyErr_Format(*wgo.PyExc_AssertionError,
			                 "Header value %R is not a string in %R", v, item);
			goto bad;
		}
		if (has_crlf(v)) {
			wgo.PyErr_SetString(*wgo.PyExc_ValueError,
			                    "carriage return/line feed character present in header value");
			goto bad;
		}
		if (has_crlf(k)) {
			wgo.PyErr_SetString(*wgo.PyExc_ValueError,
			                    "carriage return/line feed character present in header name");
			goto bad;
		}
		kb = wgo.PyUnicode_AsLatin1String(k);
		if (!kb) goto bad;
		vb = wgo.PyUnicode_AsLatin1String(v);
		if (!vb) goto bad;
		char *kp, *vp;
		Py_ssize_t kn, vn;
		wgo.PyBytes_AsStringAndSize(kb, &kp, &kn);
		wgo.PyBytes_AsStringAndSize(vb, &vp, &vn);
		if (ascii_ieq(kp, kn, "content-length")) {
			// int(v) as Waitress does: surrounding whitespace allowed, anything else is an error.
			char buf[32];
			char *end;
			Py_ssize_t i = 0, j = vn;
			while (i < j && (vp[i] == ' ' || vp[i] == '\t')) i++;
			while (j > i && (vp[j - 1] == ' ' || vp[j - 1] == '\t')) j--;
			if (j - i == 0 || j - i >= (Py_ssize_t)sizeof buf) goto badcl;
			memcpy(buf, vp + i, j - i);
			buf[j - i] = 0;
			long long cl = strtoll(buf, &end, 10);
			if (*end != 0 || cl < 0) goto badcl;
			sr->content_length = cl;
		} else {
			const char **h;
			for (h = hop_by_hop; *h; h++) {
				if (ascii_ieq(kp, kn, *h)) {
					wgo.PyErr_Format(*wgo.PyExc_AssertionError,
					                 "%U is a \"hop-by-hop\" header; it cannot be used by "
					                 "a WSGI application (see PEP 3333)",
					                 k);
					goto bad;
				}
			}
		}
		if (wgo.PyList_Append(sr->headers, kb) < 0 || wgo.PyList_Append(sr->headers, vb) < 0)
			goto bad;
		DECREF(kb);
		DECREF(vb);
		DECREF(item);
		continue;
	badcl:
		wgo.PyErr_Format(*wgo.PyExc_ValueError,
		                 "invalid literal for int() with base 10: %R", v);
	bad:
		XDECREF(kb);
		XDECREF(vb);
		DECREF(item);
		DECREF(it);
		return NULL;
	}
	DECREF(it);
	if (wgo.PyErr_Occurred()) return NULL;
	return wgo.PyCFunction_NewEx(&sr_write_def, self, NULL);
}

// flush hands pending chunks to Go. It returns -1 with an exception set when the client is gone.
static int flush(wgo_req *req) {
	if (wgoFlush(req->handle) != 0) {
		wgo.PyErr_SetString(req->env->disconnected_exc, "client disconnected");
		return -1;
	}
	return 0;
}

// add_chunk takes a bytes object produced by the app (borrowed) and queues it for Go.
static int add_chunk(wgo_req *req, PyObject *b) {
	char *p;
	Py_ssize_t n;
	if (wgo.PyBytes_AsStringAndSize(b, &p, &n) < 0) return -1;
	if (n == 0) return 0;
	if (wgo.PyList_Append(req->chunks, b) < 0) return -1;
	if (req->nvec == req->capvec) {
		int cap = req->capvec ? req->capvec * 2 : 16;
		wgo_vec *v = realloc(req->vec, cap * sizeof *v);
		if (!v) {
			wgo.PyErr_SetString(*wgo.PyExc_RuntimeError, "out of memory");
			return -1;
		}
		req->vec = v;
		req->capvec = cap;
	}
	req->vec[req->nvec].p = p;
	req->vec[req->nvec].n = n;
	req->vec[req->nvec].obj = b;
	req->nvec++;
	req->pending += n;
	req->headers_sent = 1;
	if (req->pending >= req->budget) {
		if (!req->head_ready && wgo_serialize_head(req) < 0) return -1;
		return flush(req);
	}
	return 0;
}

static PyObject *sr_write(PyObject *self, PyObject *data) {
	wgo_sr *sr = (wgo_sr *)self;
	if (!sr->req) {
		wgo.PyErr_SetString(*wgo.PyExc_RuntimeError, "write() called after the request finished");
		return NULL;
	}
	if (!sr->called) {
		wgo.PyErr_SetString(*wgo.PyExc_RuntimeError,
		                    "start_response was not called before body written");
		return NULL;
	}
	if (!IS_BYTES(data)) {
		wgo.PyErr_Format(*wgo.PyExc_TypeError, "write() argument must be bytes, not %R",
		                 (PyObject *)data->ob_type);
		return NULL;
	}
	if (add_chunk(sr->req, data) < 0) return NULL;
	INCREF(wgo.Py_None);
	return wgo.Py_None;
}

static PyObject *sr_disconnected(PyObject *self, PyObject *unused) {
	wgo_sr *sr = (wgo_sr *)self;
	(void)unused;
	if (!sr->req) return wgo.PyBool_FromLong(1);
	return wgo.PyBool_FromLong(wgoDisconnected(sr->req->handle));
}

static void sr_dealloc(PyObject *self) {
	wgo_sr *sr = (wgo_sr *)self;
	PyTypeObject *tp = self->ob_type;
	XDECREF(sr->status);
	XDECREF(sr->headers);
	void (*tp_free)(void *) = wgo.PyType_GetSlot(tp, WGO_tp_free);
	tp_free(self);
	DECREF(tp);
}

// ---- environment ------------------------------------------------------------------------------

int wgo_env_init(wgo_env *env, PyObject *bootstrap, PyObject *app, PyObject *template) {
	static PyType_Slot slots[] = {
	    {WGO_tp_call, (void *)sr_call},
	    {WGO_tp_dealloc, (void *)sr_dealloc},
	    {WGO_tp_doc, "WSGI start_response callable (waitress-go)."},
	    {0, NULL},
	};
	static PyType_Spec spec = {"waitress_go.StartResponse", sizeof(wgo_sr), 0,
	                           WGO_TPFLAGS_DEFAULT, slots};
	memset(env, 0, sizeof *env);
	env->sr_type = (PyTypeObject *)wgo.PyType_FromSpec(&spec);
	if (!env->sr_type) return -1;
	INCREF(app);
	env->app = app;
	INCREF(template);
	env->template = template;
#define GET(field, name)                                                                           \
	env->field = wgo.PyObject_GetAttrString(bootstrap, name);                                  \
	if (!env->field) return -1;
	GET(bytesio, "BytesIO");
	GET(open_input, "open_input");
	GET(format_exc, "format_exc");
	GET(file_info, "file_info");
	GET(wrapper_type, "FileWrapper");
	GET(disconnected_exc, "ClientDisconnected");
#undef GET
	env->empty_bytes = wgo.PyBytes_FromStringAndSize("", 0);
	env->key_input = wgo.PyUnicode_InternFromString("wsgi.input");
	env->key_disconnected = wgo.PyUnicode_InternFromString("waitress.client_disconnected");
	if (!env->empty_bytes || !env->key_input || !env->key_disconnected) return -1;
	return 0;
}

int wgo_intern(wgo_env *env, const char *s, Py_ssize_t n) {
	if (env->nkeys == env->capkeys) {
		int cap = env->capkeys ? env->capkeys * 2 : 64;
		PyObject **k = realloc(env->keys, cap * sizeof *k);
		if (!k) return -1;
		env->keys = k;
		env->capkeys = cap;
	}
	PyObject *key = wgo.PyUnicode_DecodeLatin1(s, n, NULL);
	if (!key) {
		wgo.PyErr_Clear();
		return -1;
	}
	env->keys[env->nkeys] = key;
	return env->nkeys++;
}

wgo_req *wgo_req_new(wgo_env *env) {
	wgo_req *req = calloc(1, sizeof *req);
	if (!req) return NULL;
	req->env = env;
	req->chunks = wgo.PyList_New(0);
	req->body_fd = -1;
	req->file_fd = -1;
	req->budget = 1 << 20;
	return req;
}

static int build_environ(wgo_req *req) {
	wgo_env *env = req->env;
	PyObject *environ = wgo.PyDict_Copy(env->template);
	if (!environ) return -1;
	req->environ = environ;
	int32_t i;
	for (i = 0; i < req->nitems; i++) {
		// key index (or -1: key bytes inline), key offset, key length, value offset, length
		const int32_t *it = req->items + 5 * i;
		PyObject *k;
		if (it[0] >= 0) {
			k = env->keys[it[0]];
			INCREF(k);
		} else {
			k = wgo.PyUnicode_DecodeLatin1(req->strbuf + it[1], it[2], NULL);
			if (!k) return -1;
		}
		PyObject *v = wgo.PyUnicode_DecodeLatin1(req->strbuf + it[3], it[4], NULL);
		if (!v) {
			DECREF(k);
			return -1;
		}
		int rc = wgo.PyDict_SetItem(environ, k, v);
		DECREF(k);
		DECREF(v);
		if (rc < 0) return -1;
	}
	PyObject *input;
	if (req->body_fd >= 0) {
		PyObject *fd = wgo.PyLong_FromLong(req->body_fd);
		if (!fd) return -1;
		input = wgo.PyObject_CallFunctionObjArgs(env->open_input, fd, NULL);
		DECREF(fd);
		req->body_fd = -1; // the file object owns it now, or it was closed on failure
	} else if (req->bodylen == 0) {
		input = wgo.PyObject_CallFunctionObjArgs(env->bytesio, NULL);
	} else {
		PyObject *b = wgo.PyBytes_FromStringAndSize(req->body, req->bodylen);
		if (!b) return -1;
		input = wgo.PyObject_CallFunctionObjArgs(env->bytesio, b, NULL);
		DECREF(b);
	}
	if (!input) return -1;
	int rc = wgo.PyDict_SetItem(environ, env->key_input, input);
	DECREF(input);
	if (rc < 0) return -1;
	PyObject *disc = wgo.PyCFunction_NewEx(&sr_disconnected_def, req->sr, NULL);
	if (!disc) return -1;
	rc = wgo.PyDict_SetItem(environ, env->key_disconnected, disc);
	DECREF(disc);
	return rc;
}

// ---- response head ----------------------------------------------------------------------------

static int head_put(wgo_req *req, const char *p, Py_ssize_t n) {
	size_t need = req->headlen + 4 + (size_t)n;
	if (need > req->headcap) {
		size_t cap = req->headcap ? req->headcap : 512;
		while (cap < need) cap *= 2;
		char *h = realloc(req->head, cap);
		if (!h) return -1;
		req->head = h;
		req->headcap = cap;
	}
	uint32_t len = (uint32_t)n;
	memcpy(req->head + req->headlen, &len, 4);
	memcpy(req->head + req->headlen + 4, p, n);
	req->headlen = need;
	return 0;
}

// result_len is len(result) when the response iterable has a length (Waitress's
// hasattr(app_iter, "__len__")), else -1. It avoids raising and discarding a TypeError for the
// common iterables without one (generators, Werkzeug's ClosingIterator).
static Py_ssize_t result_len(PyObject *result) {
	PyTypeObject *tp = result->ob_type;
	unsigned long flags = wgo.PyType_GetFlags(tp);
	if (flags & WGO_TPFLAGS_LIST) return wgo.PyList_Size(result);
	if (flags & WGO_TPFLAGS_TUPLE) return wgo.PyTuple_Size(result);
	// PyType_GetSlot accepts static types only from 3.10; Python classes are heap types.
	if (!(flags & WGO_TPFLAGS_HEAPTYPE)) return -1;
	if (!wgo.PyType_GetSlot(tp, WGO_sq_length) && !wgo.PyType_GetSlot(tp, WGO_mp_length)) return -1;
	Py_ssize_t n = wgo.PyObject_Size(result);
	if (n < 0) wgo.PyErr_Clear();
	return n;
}

// wgo_serialize_head writes status and headers into req->head as length-prefixed strings:
// status, then name/value pairs. A Content-Length is added the way Waitress does for a response
// iterable of length one.
int wgo_serialize_head(wgo_req *req) {
	wgo_sr *sr = (wgo_sr *)req->sr;
	char *p;
	Py_ssize_t n, i, nh;
	req->headlen = 0;
	if (!sr->called || !sr->status) {
		wgo.PyErr_SetString(*wgo.PyExc_RuntimeError,
		                    "start_response was not called before body written");
		return -1;
	}
	wgo.PyBytes_AsStringAndSize(sr->status, &p, &n);
	if (head_put(req, p, n) < 0) goto nomem;
	nh = sr->headers ? wgo.PyList_Size(sr->headers) : 0;
	for (i = 0; i < nh; i++) {
		wgo.PyBytes_AsStringAndSize(wgo.PyList_GetItem(sr->headers, i), &p, &n);
		if (head_put(req, p, n) < 0) goto nomem;
	}
	if (sr->content_length < 0 && req->result && req->nvec >= 1 && !req->file_size) {
		Py_ssize_t len = result_len(req->result);
		if (len == 1) {
			char buf[32];
			int k = snprintf(buf, sizeof buf, "%lld", (long long)req->vec[0].n);
			if (head_put(req, "Content-Length", 14) < 0 || head_put(req, buf, k) < 0)
				goto nomem;
		}
	}
	req->head_ready = 1;
	return 0;
nomem:
	wgo.PyErr_SetString(*wgo.PyExc_RuntimeError, "out of memory");
	return -1;
}

// ---- the call ---------------------------------------------------------------------------------

static void set_error(wgo_req *req) {
	PyObject *t, *v, *tb, *res;
	wgo.PyErr_Fetch(&t, &v, &tb);
	wgo.PyErr_NormalizeException(&t, &v, &tb);
	if (!t) return;
	res = wgo.PyObject_CallFunctionObjArgs(req->env->format_exc, t, v ? v : wgo.Py_None,
	                                       tb ? tb : wgo.Py_None, NULL);
	XDECREF(t);
	XDECREF(v);
	XDECREF(tb);
	free(req->err_msg);
	free(req->err_tb);
	req->err_msg = req->err_tb = NULL;
	if (res && IS_TUPLE(res) && wgo.PyTuple_Size(res) == 2) {
		char *p;
		Py_ssize_t n;
		PyObject *m = wgo.PyUnicode_AsUTF8String(wgo.PyTuple_GetItem(res, 0));
		PyObject *b = wgo.PyUnicode_AsUTF8String(wgo.PyTuple_GetItem(res, 1));
		if (m && wgo.PyBytes_AsStringAndSize(m, &p, &n) == 0) req->err_msg = strndup(p, n);
		if (b && wgo.PyBytes_AsStringAndSize(b, &p, &n) == 0) req->err_tb = strndup(p, n);
		XDECREF(m);
		XDECREF(b);
	}
	XDECREF(res);
	wgo.PyErr_Clear();
	if (!req->err_msg) req->err_msg = strdup("error while formatting the application's exception");
}

// close_result calls close() on the app's iterable if it has one. It returns -1 with an
// exception set when close raised.
static int close_result(wgo_req *req) {
	PyObject *result = req->result;
	if (!result) return 0;
	req->result = NULL;
	CLEAR(req->iter);
	int rc = 0;
	PyObject *close = wgo.PyObject_GetAttrString(result, "close");
	if (close) {
		PyObject *r = wgo.PyObject_CallObject(close, NULL);
		if (!r) rc = -1;
		XDECREF(r);
		DECREF(close);
	} else {
		wgo.PyErr_Clear();
	}
	DECREF(result);
	return rc;
}

// fail records the pending exception, closes the iterable (keeping the first error) and
// reports WGO_ERROR, or WGO_ABORT when the exception is our own client-disconnected one.
static int fail(wgo_req *req) {
	int abort = wgo.PyErr_ExceptionMatches(req->env->disconnected_exc);
	if (req->headers_sent && !req->head_ready) {
		// Body bytes exist, so the response has started as far as the app is concerned (its
		// start_response re-raised exc_info): Go sends what was produced, then closes.
		PyObject *t, *v, *tb;
		wgo.PyErr_Fetch(&t, &v, &tb);
		if (wgo_serialize_head(req) < 0) wgo.PyErr_Clear();
		wgo.PyErr_Restore(t, v, tb);
	}
	if (abort) {
		wgo.PyErr_Clear();
	} else {
		set_error(req);
	}
	if (close_result(req) < 0) {
		if (abort) {
			set_error(req);
			return WGO_ERROR;
		}
		wgo.PyErr_Clear();
	}
	return abort ? WGO_ABORT : WGO_ERROR;
}

// try_file takes over the descriptor file_info duplicated. On Windows file_info always says
// None (Python's descriptors belong to its C runtime, which Go cannot use), so the fd paths
// below run on POSIX only.
// app_fail is fail() for errors raised while the app had control since t0, whose time counts
// as the app's.
static int app_fail(wgo_req *req, int64_t t0) {
	req->app_ns += now_ns() - t0;
	return fail(req);
}

static int try_file(wgo_req *req) {
	wgo_sr *sr = (wgo_sr *)req->sr;
	PyObject *info = wgo.PyObject_CallFunctionObjArgs(req->env->file_info, req->result, NULL);
	if (!info) return -1;
	if (info == wgo.Py_None || !IS_TUPLE(info) || wgo.PyTuple_Size(info) != 3) {
		DECREF(info);
		return 0;
	}
	long long fd = wgo.PyLong_AsLongLong(wgo.PyTuple_GetItem(info, 0));
	long long off = wgo.PyLong_AsLongLong(wgo.PyTuple_GetItem(info, 1));
	long long size = wgo.PyLong_AsLongLong(wgo.PyTuple_GetItem(info, 2));
	DECREF(info);
	if (wgo.PyErr_Occurred()) return -1;
	if (sr->content_length >= 0 && sr->content_length < size) size = sr->content_length;
	if (size <= 0) {
		close(fd);
		return 0; // nothing to send by the OS; iterate as usual (Waitress does the same)
	}
	if (!sr->called) {
		close(fd);
		wgo.PyErr_SetString(*wgo.PyExc_RuntimeError,
		                    "start_response was not called before body written");
		return -1;
	}
	// The file decides the length, as in Waitress: any Content-Length the app gave is replaced.
	if (sr->headers) {
		Py_ssize_t i = wgo.PyList_Size(sr->headers) - 2;
		for (; i >= 0; i -= 2) {
			char *p;
			Py_ssize_t n;
			wgo.PyBytes_AsStringAndSize(wgo.PyList_GetItem(sr->headers, i), &p, &n);
			if (ascii_ieq(p, n, "content-length"))
				wgo.PyList_SetSlice(sr->headers, i, i + 2, NULL);
		}
	}
	char buf[32];
	int k = snprintf(buf, sizeof buf, "%lld", size);
	PyObject *kb = wgo.PyBytes_FromStringAndSize("Content-Length", 14);
	PyObject *vb = wgo.PyBytes_FromStringAndSize(buf, k);
	if (!sr->headers) sr->headers = wgo.PyList_New(0);
	if (!kb || !vb || !sr->headers || wgo.PyList_Append(sr->headers, kb) < 0 ||
	    wgo.PyList_Append(sr->headers, vb) < 0) {
		XDECREF(kb);
		XDECREF(vb);
		close(fd);
		return -1;
	}
	DECREF(kb);
	DECREF(vb);
	sr->content_length = size;
	req->file_fd = (int)fd;
	req->file_off = off;
	req->file_size = size;
	req->headers_sent = 1;
	return 1;
}

static int iterate(wgo_req *req);

// wgo_run runs one request up to its end (flushing to Go through wgoFlush when the pending body
// grows past the budget). See the WGO_* outcomes.
int wgo_run(wgo_req *req) {
	wgo_env *env = req->env;
	wgo_sr *sr;
	int64_t t0;

	req->nvec = 0;
	req->pending = 0;
	req->headlen = 0;
	req->head_ready = req->head_taken = req->headers_sent = 0;
	req->file_fd = -1;
	req->file_off = req->file_size = 0;
	req->app_ns = 0;
	free(req->err_msg);
	free(req->err_tb);
	req->err_msg = req->err_tb = NULL;

	PyObject *(*alloc)(PyTypeObject *, Py_ssize_t) = wgo.PyType_GetSlot(env->sr_type, WGO_tp_alloc);
	sr = (wgo_sr *)alloc(env->sr_type, 0);
	if (!sr) return fail(req);
	sr->req = req;
	sr->content_length = -1;
	req->sr = (PyObject *)sr;

	if (build_environ(req) < 0) {
		if (req->body_fd >= 0) {
			wgo_close_body(req->body_fd);
			req->body_fd = -1;
		}
		return fail(req);
	}

	t0 = now_ns();
	req->result = wgo.PyObject_CallFunctionObjArgs(env->app, req->environ, req->sr, NULL);
	if (!req->result) {
		return app_fail(req, t0);
	}

	if (wgo.PyObject_IsInstance(req->result, env->wrapper_type) == 1) {
		int rc = try_file(req);
		if (rc < 0) {
			return app_fail(req, t0);
		}
		if (rc == 1) {
			if (wgo_serialize_head(req) < 0) {
				close(req->file_fd);
				req->file_fd = -1;
				return app_fail(req, t0);
			}
			int crc = close_result(req);
			req->app_ns += now_ns() - t0;
			if (crc < 0) {
				// The file is ready to go; report close()'s failure after sending it.
				set_error(req);
			}
			return WGO_FILE;
		}
	}

	req->iter = wgo.PyObject_GetIter(req->result);
	if (!req->iter) {
		return app_fail(req, t0);
	}
	// A list or tuple is complete already; any other iterable may block before its next item
	// (a generator streaming events), so what it produced so far goes to Go first, and reaches
	// the client while the app works on the rest.
	req->streaming = !(FLAGS(req->result) & (WGO_TPFLAGS_LIST | WGO_TPFLAGS_TUPLE));
	req->app_ns += now_ns() - t0;
	return iterate(req);
}

// wgo_resume goes on iterating after WGO_MORE, once Go has taken the chunks; gone reports that
// the client went away meanwhile, which ends the response as a failed flush does.
int wgo_resume(wgo_req *req, int gone) {
	if (gone) {
		wgo.PyErr_SetString(req->env->disconnected_exc, "client disconnected");
		return fail(req);
	}
	return iterate(req);
}

// iterate consumes the response iterable until it ends, fails, or (streaming) produces chunks
// that must reach Go before the next item. Returning WGO_MORE for those, rather than calling
// into Go from here, keeps the crossing a cheap Go-to-C call.
static int iterate(wgo_req *req) {
	wgo_sr *sr = (wgo_sr *)req->sr;
	int64_t t0 = now_ns();
	PyObject *item;
	for (;;) {
		if (req->streaming && req->nvec > 0) {
			if (!req->head_ready && wgo_serialize_head(req) < 0) {
				return app_fail(req, t0);
			}
			req->app_ns += now_ns() - t0;
			return WGO_MORE;
		}
		item = wgo.PyIter_Next(req->iter);
		if (!item) break;
		if (!IS_BYTES(item)) {
			wgo.PyErr_Format(*wgo.PyExc_TypeError,
			                 "response iterable yielded %R; a WSGI application must yield bytes",
			                 (PyObject *)item->ob_type);
			DECREF(item);
			return app_fail(req, t0);
		}
		int rc = 0;
		char *p;
		Py_ssize_t n;
		wgo.PyBytes_AsStringAndSize(item, &p, &n);
		if (n > 0 && !sr->called) {
			wgo.PyErr_SetString(*wgo.PyExc_RuntimeError,
			                    "start_response was not called before body written");
			rc = -1;
		} else {
			rc = add_chunk(req, item);
		}
		DECREF(item);
		if (rc < 0) {
			return app_fail(req, t0);
		}
	}
	if (wgo.PyErr_Occurred()) {
		return app_fail(req, t0);
	}
	if (!req->head_ready && wgo_serialize_head(req) < 0) {
		return app_fail(req, t0);
	}
	int crc = close_result(req);
	req->app_ns += now_ns() - t0;
	if (crc < 0) {
		set_error(req);
		return WGO_ERROR;
	}
	return WGO_DONE;
}

// wgo_take_chunks drops the chunks Go has copied.
void wgo_take_chunks(wgo_req *req) {
	if (req->nvec) {
		wgo.PyList_SetSlice(req->chunks, 0, wgo.PyList_Size(req->chunks), NULL);
		req->nvec = 0;
		req->pending = 0;
	}
}

// wgo_incref takes a reference for Go to hold (GIL held).
void wgo_incref(PyObject *o) { wgo.Py_IncRef(o); }

// wgo_decref_all drops references Go held (GIL held).
void wgo_decref_all(PyObject **objs, int n) {
	for (int i = 0; i < n; i++) wgo.Py_DecRef(objs[i]);
}

// wgo_finish releases everything the request held.
void wgo_finish(wgo_req *req) {
	wgo_take_chunks(req);
	if (req->result) {
		close_result(req);
		wgo.PyErr_Clear();
	}
	CLEAR(req->iter);
	if (req->sr) ((wgo_sr *)req->sr)->req = NULL;
	CLEAR(req->sr);
	CLEAR(req->environ);
	if (req->file_fd >= 0) req->file_fd = -1; // owned by Go once reported
}

// wgo_req_free releases a worker's request state for good (GIL held).
void wgo_req_free(wgo_req *req) {
	wgo_finish(req);
	CLEAR(req->chunks);
	free(req->vec);
	free(req->head);
	free(req->err_msg);
	free(req->err_tb);
	free(req);
}
