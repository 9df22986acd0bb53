// Attached mode: the Go engine is an extension module of an interpreter that is already
// running. The API table is filled from the process's own symbols (a python executable that
// embeds libpython statically exports them too), and the module is built with the stable-ABI
// PyModuleDef, whose layout is spelled out here.
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "glue.h"
#include "_cgo_export.h"

typedef struct {
	PyObject ob_base;
	PyObject *(*m_init)(void);
	Py_ssize_t m_index;
	PyObject *m_copy;
} wgo_moddef_base;

typedef struct {
	wgo_moddef_base m_base;
	const char *m_name;
	const char *m_doc;
	Py_ssize_t m_size;
	PyMethodDef *m_methods;
	void *m_slots, *m_traverse, *m_clear, *m_free;
} wgo_moddef;

// PYTHON_ABI_VERSION: the module is built against the stable ABI.
#define WGO_ABI_VERSION 3

// Entry points attached mode needs beyond the shared table.
static struct {
	PyObject *(*PyModule_Create2)(wgo_moddef *, int);
	int (*PyErr_CheckSignals)(void);
	int (*PyDict_DelItemString)(PyObject *, const char *);
} ext;

// One trampoline per extension function: PyCFunction has no slot for an index.
#define TRAMP(i)                                                                                   \
	static PyObject *tramp##i(PyObject *self, PyObject *args) {                                \
		(void)self;                                                                        \
		return wgoExtCall(i, args);                                                        \
	}
TRAMP(0) TRAMP(1) TRAMP(2) TRAMP(3) TRAMP(4) TRAMP(5) TRAMP(6) TRAMP(7)
TRAMP(8) TRAMP(9) TRAMP(10) TRAMP(11) TRAMP(12) TRAMP(13) TRAMP(14) TRAMP(15)
#undef TRAMP
static PyCFunction tramps[] = {tramp0,  tramp1,  tramp2,  tramp3, tramp4,  tramp5,
                               tramp6,  tramp7,  tramp8,  tramp9, tramp10, tramp11,
                               tramp12, tramp13, tramp14, tramp15};
#define NTRAMPS ((int)(sizeof tramps / sizeof tramps[0]))

// The definition must outlive the module: it is allocated once and never freed.
static wgo_moddef *moddef;

PyObject *wgo_attach(const char *modname, const char *src, int nfuncs, const char **names,
                     const char **docs, const char **err) {
	*err = NULL;
	const char *msg = wgo_load(NULL);
	if (msg) {
		*err = msg;
		return NULL;
	}
#define EXT(name)                                                                                  \
	*(void **)(&ext.name) = wgo_sym(#name);                                        \
	if (!ext.name) {                                                                           \
		*err = "missing symbol " #name;                                                    \
		return NULL;                                                                       \
	}
	EXT(PyModule_Create2);
	EXT(PyErr_CheckSignals);
	EXT(PyDict_DelItemString);
#undef EXT
	if (!wgo.Py_IsInitialized()) {
		*err = "the interpreter is not initialised";
		return NULL;
	}
	if (nfuncs > NTRAMPS) {
		*err = "too many extension functions";
		return NULL;
	}
	if (moddef) {
		wgo.PyErr_SetString(*wgo.PyExc_RuntimeError, "waitress_go._engine cannot be initialised twice");
		return NULL;
	}
	PyMethodDef *methods = calloc(nfuncs + 1, sizeof *methods);
	moddef = calloc(1, sizeof *moddef);
	if (!methods || !moddef) {
		*err = "out of memory";
		return NULL;
	}
	for (int i = 0; i < nfuncs; i++) {
		methods[i].ml_name = names[i];
		methods[i].ml_meth = tramps[i];
		methods[i].ml_flags = WGO_METH_VARARGS;
		methods[i].ml_doc = docs[i];
	}
	moddef->m_base.ob_base.ob_refcnt = 1;
	moddef->m_name = modname;
	moddef->m_doc = "waitress-go's engine: the Go HTTP server running in this interpreter.";
	moddef->m_size = -1;
	moddef->m_methods = methods;
	PyObject *mod = ext.PyModule_Create2(moddef, WGO_ABI_VERSION);
	if (!mod) return NULL;
	// wgo_initialize runs the bootstrap in the module registered under modname; registering
	// ours first makes it that module. Py_InitializeEx inside is a no-op: Python is running.
	PyObject *modules = wgo.PySys_GetObject("modules"); // borrowed
	if (!modules || wgo.PyDict_SetItemString(modules, modname, mod) < 0) {
		wgo.Py_DecRef(mod);
		return NULL;
	}
	char *ierr = NULL;
	if (wgo_initialize(NULL, src, &ierr) != 0) {
		// The traceback has been printed; leave an ImportError-worthy exception.
		ext.PyDict_DelItemString(modules, modname);
		wgo.PyErr_Clear();
		wgo.PyErr_SetString(*wgo.PyExc_RuntimeError, ierr ? ierr : "bootstrap failed");
		free(ierr);
		wgo.Py_DecRef(mod);
		return NULL;
	}
	return mod;
}

PyThreadState *wgo_ext_save(void) { return wgo.PyEval_SaveThread(); }
void wgo_ext_restore(PyThreadState *ts) { wgo.PyEval_RestoreThread(ts); }

int wgo_check_signals(PyObject **saved) {
	if (ext.PyErr_CheckSignals() == 0) return 0;
	wgo.PyErr_Fetch(&saved[0], &saved[1], &saved[2]);
	return -1;
}

void wgo_exc_restore(PyObject **saved) {
	wgo.PyErr_Restore(saved[0], saved[1], saved[2]);
	saved[0] = saved[1] = saved[2] = NULL;
}

void wgo_exc_drop(PyObject **saved) {
	for (int i = 0; i < 3; i++) {
		if (saved[i]) wgo.Py_DecRef(saved[i]);
		saved[i] = NULL;
	}
}

void wgo_raise(const char *exc, const char *msg) {
	PyObject *cls = wgo.PyDict_GetItemString(wgo.PyEval_GetBuiltins(), exc); // borrowed
	if (!cls) cls = *wgo.PyExc_RuntimeError;
	wgo.PyErr_SetString(cls, msg);
}

#define FLAGS(o) wgo.PyType_GetFlags(((PyObject *)(o))->ob_type)
#define WGO_TPFLAGS_LONG (1UL << 24)

int wgo_arg_kind(PyObject *o) {
	if (o == wgo.Py_None) return WGO_ARG_NONE;
	unsigned long f = FLAGS(o);
	if (f & WGO_TPFLAGS_UNICODE) return WGO_ARG_STR;
	if (f & WGO_TPFLAGS_LONG) return WGO_ARG_INT;
	if (f & (WGO_TPFLAGS_LIST | WGO_TPFLAGS_TUPLE)) return WGO_ARG_SEQ;
	return WGO_ARG_OBJECT;
}

Py_ssize_t wgo_seq_len(PyObject *o) {
	return (FLAGS(o) & WGO_TPFLAGS_LIST) ? wgo.PyList_Size(o) : wgo.PyTuple_Size(o);
}

PyObject *wgo_seq_item(PyObject *o, Py_ssize_t i) {
	return (FLAGS(o) & WGO_TPFLAGS_LIST) ? wgo.PyList_GetItem(o, i) : wgo.PyTuple_GetItem(o, i);
}

PyObject *wgo_none(void) {
	wgo.Py_IncRef(wgo.Py_None);
	return wgo.Py_None;
}

PyObject *wgo_new_tuple(Py_ssize_t n) { return wgo.PyTuple_New(n); }
void wgo_tuple_set(PyObject *t, Py_ssize_t i, PyObject *item) { wgo.PyTuple_SetItem(t, i, item); }

void wgo_env_free(wgo_env *env) {
	PyObject *objs[] = {env->app,          env->template,    env->bytesio,
	                    env->open_input,   env->format_exc,  env->file_info,
	                    env->wrapper_type, env->disconnected_exc, env->empty_bytes,
	                    env->key_input,    env->key_disconnected, (PyObject *)env->sr_type};
	for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
		if (objs[i]) wgo.Py_DecRef(objs[i]);
	}
	for (int i = 0; i < env->nkeys; i++) wgo.Py_DecRef(env->keys[i]);
	free(env->keys);
	free(env);
}
