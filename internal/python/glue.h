#ifndef WGO_GLUE_H
#define WGO_GLUE_H

#include "capi.h"

int wgo_initialize(const char *program, const char *src, char **err);
void wgo_release_main(void);
int wgo_finalize(void);
PyObject *wgo_engine(void);
PyObject *wgo_str(const char *p, Py_ssize_t n);
PyObject *wgo_long(long long v);
PyObject *wgo_bool(int v);
PyObject *wgo_new_list(void);
int wgo_append(PyObject *list, PyObject *item);
void wgo_decref(PyObject *o);
PyObject *wgo_call(const char *name, int argc, PyObject **argv);
char *wgo_utf8(PyObject *o);
long long wgo_tuple_long(PyObject *t, int i);
long long wgo_long_value(PyObject *o);
PyObject *wgo_tuple_item(PyObject *t, int i);
char *wgo_error_message(void);
PyThreadState *wgo_thread_new(int *gstate);
void wgo_thread_close(PyThreadState *ts, int gstate);
void wgo_acquire(PyThreadState *ts);
void wgo_acquire_here(void);
void wgo_release_here(void);
PyThreadState *wgo_release(void);
int wgo_gil_ensure(void);
void wgo_gil_release(int s);

#endif
