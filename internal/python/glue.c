// Small C helpers for Go: cgo cannot call through function pointers or variadic functions, so
// each operation Go needs is one plain function here.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

static PyObject *engine; // the bootstrap module; lives as long as the interpreter
static PyThreadState *main_tstate;

int wgo_initialize(const char *program, const char *src, char **err) {
	if (wgo.Py_SetProgramName && program && *program) {
		// Python keeps the pointer for the life of the process: never freed on purpose.
		wchar_t *w = wgo.Py_DecodeLocale(program, NULL);
		if (w) wgo.Py_SetProgramName(w);
	}
	wgo.Py_InitializeEx(0); // 0: Python installs no signal handlers; Go owns signals
	if (!wgo.Py_IsInitialized()) {
		*err = strdup("Py_InitializeEx failed");
		return -1;
	}
	PyObject *mod = wgo.PyImport_AddModule("waitress_go._engine"); // borrowed
	if (!mod) goto fail;
	PyObject *dict = wgo.PyModule_GetDict(mod); // borrowed
	if (wgo.PyDict_SetItemString(dict, "__builtins__", wgo.PyEval_GetBuiltins()) < 0) goto fail;
	PyObject *code = wgo.Py_CompileString(src, "<waitress_go._engine>", WGO_file_input);
	if (!code) goto fail;
	PyObject *r = wgo.PyEval_EvalCode(code, dict, dict);
	wgo.Py_DecRef(code);
	if (!r) goto fail;
	wgo.Py_DecRef(r);
	wgo.Py_IncRef(mod);
	engine = mod;
	return 0;
fail:
	wgo.PyErr_Print();
	*err = strdup("could not start the embedded interpreter (see the traceback above)");
	return -1;
}

void wgo_release_main(void) { main_tstate = wgo.PyEval_SaveThread(); }

int wgo_finalize(void) {
	wgo.PyEval_RestoreThread(main_tstate);
	return wgo.Py_FinalizeEx();
}

PyObject *wgo_engine(void) { return engine; }

PyObject *wgo_str(const char *p, Py_ssize_t n) { return wgo.PyUnicode_FromStringAndSize(p, n); }
PyObject *wgo_long(long long v) { return wgo.PyLong_FromLongLong(v); }
PyObject *wgo_bool(int v) { return wgo.PyBool_FromLong(v); }
PyObject *wgo_new_list(void) { return wgo.PyList_New(0); }
int wgo_append(PyObject *list, PyObject *item) {
	int rc = wgo.PyList_Append(list, item);
	wgo.Py_DecRef(item);
	return rc;
}
void wgo_decref(PyObject *o) {
	if (o) wgo.Py_DecRef(o);
}

PyObject *wgo_call(const char *name, int argc, PyObject **argv) {
	PyObject *fn = wgo.PyObject_GetAttrString(engine, name);
	if (!fn) return NULL;
	PyObject *args = wgo.PyTuple_New(argc);
	if (!args) {
		wgo.Py_DecRef(fn);
		return NULL;
	}
	for (int i = 0; i < argc; i++) {
		wgo.Py_IncRef(argv[i]);
		wgo.PyTuple_SetItem(args, i, argv[i]); // steals the new reference
	}
	PyObject *r = wgo.PyObject_CallObject(fn, args);
	wgo.Py_DecRef(args);
	wgo.Py_DecRef(fn);
	return r;
}

char *wgo_utf8(PyObject *o) {
	PyObject *s = o;
	if (!(wgo.PyType_GetFlags(o->ob_type) & WGO_TPFLAGS_UNICODE)) {
		s = wgo.PyObject_Str(o);
		if (!s) {
			wgo.PyErr_Clear();
			return strdup("<unprintable>");
		}
	} else {
		wgo.Py_IncRef(s);
	}
	PyObject *b = wgo.PyUnicode_AsUTF8String(s);
	wgo.Py_DecRef(s);
	if (!b) {
		wgo.PyErr_Clear();
		return strdup("<unprintable>");
	}
	char *p;
	Py_ssize_t n;
	wgo.PyBytes_AsStringAndSize(b, &p, &n);
	char *out = strndup(p, n);
	wgo.Py_DecRef(b);
	return out;
}

long long wgo_tuple_long(PyObject *t, int i) {
	return wgo.PyLong_AsLongLong(wgo.PyTuple_GetItem(t, i));
}

PyObject *wgo_tuple_item(PyObject *t, int i) { return wgo.PyTuple_GetItem(t, i); }

char *wgo_error_message(void) {
	PyObject *t, *v, *tb;
	wgo.PyErr_Fetch(&t, &v, &tb);
	wgo.PyErr_NormalizeException(&t, &v, &tb);
	char *msg = NULL;
	if (v) {
		PyObject *argv[3] = {t, v, tb ? tb : wgo.Py_None};
		PyObject *cls = wgo.PyObject_GetAttrString(engine, "LoadError");
		if (cls && wgo.PyObject_IsInstance(v, cls) == 1) {
			msg = wgo_utf8(v);
		} else {
			wgo.PyErr_Clear();
			PyObject *r = wgo_call("format_exc", 3, argv);
			if (r) {
				PyObject *tbs = wgo.PyTuple_GetItem(r, 1);
				msg = wgo_utf8(tbs);
				wgo.Py_DecRef(r);
			}
		}
		if (cls) wgo.Py_DecRef(cls);
	}
	if (t) wgo.Py_DecRef(t);
	if (v) wgo.Py_DecRef(v);
	if (tb) wgo.Py_DecRef(tb);
	wgo.PyErr_Clear();
	return msg ? msg : strdup("unknown Python error");
}

PyThreadState *wgo_thread_new(int *gstate) {
	*gstate = wgo.PyGILState_Ensure();
	return wgo.PyEval_SaveThread();
}
void wgo_thread_close(PyThreadState *ts, int gstate) {
	wgo.PyEval_RestoreThread(ts);
	wgo.PyGILState_Release(gstate);
}
void wgo_acquire(PyThreadState *ts) { wgo.PyEval_RestoreThread(ts); }

// The calling OS thread's own thread state for wgo_acquire_here, created on first use.
static __thread PyThreadState *wgo_here_ts;

void wgo_acquire_here(void) {
	if (wgo_here_ts) {
		wgo.PyEval_RestoreThread(wgo_here_ts);
		return;
	}
#ifdef __GLIBC__
	// glibc gives each thread that allocates its own malloc arena, up to 8 per core, and keeps
	// freed memory in each. Python objects above 512 bytes come from malloc, so with requests
	// running on any of Go's threads the server's memory crept up by a fifth in a 4-minute
	// soak. Python's allocations are serialised by the GIL anyway: two arenas keep it flat.
	// (MALLOC_ARENA_MAX in the environment still wins.)
	static int arenas_set;
	if (!arenas_set) {
		arenas_set = 1;
		if (!getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 2);
	}
#endif
	// PyGILState_Ensure registers the thread (so extensions' own PyGILState_Ensure calls find
	// this thread state) and takes the GIL; the registration is never released.
	wgo.PyGILState_Ensure();
	wgo_here_ts = wgo.PyEval_SaveThread();
	wgo.PyEval_RestoreThread(wgo_here_ts);
}
void wgo_release_here(void) { wgo.PyEval_SaveThread(); }
PyThreadState *wgo_release(void) { return wgo.PyEval_SaveThread(); }
int wgo_gil_ensure(void) { return wgo.PyGILState_Ensure(); }
void wgo_gil_release(int s) { wgo.PyGILState_Release(s); }

long long wgo_long_value(PyObject *o) { return wgo.PyLong_AsLongLong(o); }
