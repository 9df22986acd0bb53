// Attached mode: Go loaded into a running Python as the extension module waitress_go._engine.
#ifndef WGO_ATTACH_H
#define WGO_ATTACH_H

#include "capi.h"
#include "wsgicall.h"

// wgo_attach fills the API table from the symbols the running interpreter exports (its
// executable or its libpython), creates the module, runs the bootstrap source in it and adds
// one function per name in names, each dispatching to wgoExtCall with its index. It returns a
// new reference to the module, or NULL with a Python exception set (or *err for failures that
// happen before Python can be reached).
PyObject *wgo_attach(const char *modname, const char *src, int nfuncs, const char **names,
                     const char **docs, const char **err);

// wgo_ext_save releases the GIL held by the calling thread; wgo_ext_restore takes it back.
PyThreadState *wgo_ext_save(void);
void wgo_ext_restore(PyThreadState *ts);

// wgo_check_signals runs Python's pending signal handlers (main thread, GIL held). It returns
// -1 when a handler raised; the exception is then moved into *saved (see wgo_exc_restore).
int wgo_check_signals(PyObject **saved);
// wgo_exc_restore makes saved[0..2] the current exception again (GIL held), consuming them.
void wgo_exc_restore(PyObject **saved);
// wgo_exc_drop releases saved[0..2] (GIL held).
void wgo_exc_drop(PyObject **saved);
// wgo_raise sets an exception of the builtin class named exc ("TypeError", ...) with msg.
void wgo_raise(const char *exc, const char *msg);

// Conversions for extension function arguments and results (GIL held).
enum { WGO_ARG_NONE, WGO_ARG_INT, WGO_ARG_STR, WGO_ARG_SEQ, WGO_ARG_OBJECT };
int wgo_arg_kind(PyObject *o);
Py_ssize_t wgo_seq_len(PyObject *o);
PyObject *wgo_seq_item(PyObject *o, Py_ssize_t i); // borrowed
PyObject *wgo_none(void);                          // new reference
PyObject *wgo_new_tuple(Py_ssize_t n);
void wgo_tuple_set(PyObject *t, Py_ssize_t i, PyObject *item); // steals item

// wgo_env_free releases an application's environment made by wgo_env_init, and env itself
// (GIL held; no request may use it any more).
void wgo_env_free(wgo_env *env);

#endif
