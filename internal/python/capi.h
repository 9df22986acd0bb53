// The slice of CPython's stable C API that waitress-go uses, reached through function pointers
// filled by dlsym at run time, so the binary links no Python version and can load any CPython
// 3.9+ that has a shared libpython. Only stable-ABI (abi3) functions and struct layouts are used.
#ifndef WGO_CAPI_H
#define WGO_CAPI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <wchar.h>

#ifdef _WIN32
#include <stdlib.h>
#include <string.h>
// MinGW's stdlib.h defines environ as a macro, which would rename our struct fields.
#undef environ
// MinGW's C runtime has no strndup.
static inline char *wgo_strndup(const char *s, size_t n) {
	size_t len = strnlen(s, n);
	char *p = malloc(len + 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = 0;
	}
	return p;
}
#define strndup wgo_strndup
#endif

typedef ssize_t Py_ssize_t;
typedef struct _typeobject PyTypeObject;
// PyObject's head is part of the stable ABI: a refcount followed by the type pointer.
typedef struct _object {
	Py_ssize_t ob_refcnt;
	PyTypeObject *ob_type;
} PyObject;
typedef struct _ts PyThreadState;
typedef int PyGILState_STATE;
typedef PyObject *(*PyCFunction)(PyObject *, PyObject *);

typedef struct {
	const char *ml_name;
	PyCFunction ml_meth;
	int ml_flags;
	const char *ml_doc;
} PyMethodDef;

typedef struct {
	int slot;
	void *pfunc;
} PyType_Slot;

typedef struct {
	const char *name;
	int basicsize;
	int itemsize;
	unsigned int flags;
	PyType_Slot *slots;
} PyType_Spec;

#define WGO_TPFLAGS_DEFAULT (1UL << 18)
#define WGO_TPFLAGS_LIST (1UL << 25)
#define WGO_TPFLAGS_TUPLE (1UL << 26)
#define WGO_TPFLAGS_BYTES (1UL << 27)
#define WGO_TPFLAGS_UNICODE (1UL << 28)
#define WGO_METH_VARARGS 0x0001
#define WGO_METH_NOARGS 0x0004
#define WGO_METH_O 0x0008
#define WGO_file_input 257
#define WGO_TPFLAGS_HEAPTYPE (1UL << 9)
#define WGO_mp_length 4
#define WGO_sq_length 45
#define WGO_tp_alloc 47
#define WGO_tp_call 50
#define WGO_tp_dealloc 52
#define WGO_tp_doc 56
#define WGO_tp_free 74

// wgo_api is the table of entry points; wgo_load fills it.
typedef struct {
	void (*Py_InitializeEx)(int);
	int (*Py_FinalizeEx)(void);
	int (*Py_IsInitialized)(void);
	void (*Py_SetProgramName)(const wchar_t *); // deprecated in 3.11; may be NULL
	wchar_t *(*Py_DecodeLocale)(const char *, size_t *);
	PyThreadState *(*PyEval_SaveThread)(void);
	void (*PyEval_RestoreThread)(PyThreadState *);
	PyGILState_STATE (*PyGILState_Ensure)(void);
	void (*PyGILState_Release)(PyGILState_STATE);

	void (*Py_IncRef)(PyObject *);
	void (*Py_DecRef)(PyObject *);
	unsigned long (*PyType_GetFlags)(PyTypeObject *);
	void *(*PyType_GetSlot)(PyTypeObject *, int);
	PyObject *(*PyType_FromSpec)(PyType_Spec *);

	PyObject *(*PyUnicode_DecodeLatin1)(const char *, Py_ssize_t, const char *);
	PyObject *(*PyUnicode_FromStringAndSize)(const char *, Py_ssize_t);
	PyObject *(*PyUnicode_FromString)(const char *);
	PyObject *(*PyUnicode_InternFromString)(const char *);
	PyObject *(*PyUnicode_AsLatin1String)(PyObject *);
	PyObject *(*PyUnicode_AsUTF8String)(PyObject *);
	Py_ssize_t (*PyUnicode_FindChar)(PyObject *, uint32_t, Py_ssize_t, Py_ssize_t, int);
	Py_ssize_t (*PyUnicode_GetLength)(PyObject *);
	int (*PyUnicode_CompareWithASCIIString)(PyObject *, const char *);

	PyObject *(*PyBytes_FromStringAndSize)(const char *, Py_ssize_t);
	int (*PyBytes_AsStringAndSize)(PyObject *, char **, Py_ssize_t *);

	PyObject *(*PyLong_FromLong)(long);
	PyObject *(*PyLong_FromLongLong)(long long);
	long long (*PyLong_AsLongLong)(PyObject *);
	PyObject *(*PyBool_FromLong)(long);

	PyObject *(*PyDict_New)(void);
	PyObject *(*PyDict_Copy)(PyObject *);
	int (*PyDict_SetItem)(PyObject *, PyObject *, PyObject *);
	int (*PyDict_SetItemString)(PyObject *, const char *, PyObject *);
	PyObject *(*PyDict_GetItemString)(PyObject *, const char *);
	int (*PyDict_Contains)(PyObject *, PyObject *);

	PyObject *(*PyList_New)(Py_ssize_t);
	int (*PyList_Append)(PyObject *, PyObject *);
	Py_ssize_t (*PyList_Size)(PyObject *);
	PyObject *(*PyList_GetItem)(PyObject *, Py_ssize_t);
	int (*PyList_SetSlice)(PyObject *, Py_ssize_t, Py_ssize_t, PyObject *);
	PyObject *(*PyTuple_New)(Py_ssize_t);
	int (*PyTuple_SetItem)(PyObject *, Py_ssize_t, PyObject *);
	Py_ssize_t (*PyTuple_Size)(PyObject *);
	PyObject *(*PyTuple_GetItem)(PyObject *, Py_ssize_t);

	PyObject *(*PyObject_GetIter)(PyObject *);
	PyObject *(*PyIter_Next)(PyObject *);
	PyObject *(*PyObject_Call)(PyObject *, PyObject *, PyObject *);
	PyObject *(*PyObject_CallObject)(PyObject *, PyObject *);
	PyObject *(*PyObject_CallFunctionObjArgs)(PyObject *, ...);
	PyObject *(*PyObject_GetAttrString)(PyObject *, const char *);
	int (*PyObject_HasAttrString)(PyObject *, const char *);
	PyObject *(*PyObject_GetAttr)(PyObject *, PyObject *);
	int (*PyObject_IsInstance)(PyObject *, PyObject *);
	Py_ssize_t (*PyObject_Size)(PyObject *);
	PyObject *(*PyObject_Str)(PyObject *);
	int (*PyCallable_Check)(PyObject *);
	PyObject *(*PyCFunction_NewEx)(PyMethodDef *, PyObject *, PyObject *);

	PyObject *(*PyImport_ImportModule)(const char *);
	PyObject *(*PyImport_AddModule)(const char *);
	PyObject *(*PyModule_GetDict)(PyObject *);
	PyObject *(*Py_CompileString)(const char *, const char *, int);
	PyObject *(*PyEval_EvalCode)(PyObject *, PyObject *, PyObject *);
	PyObject *(*PyEval_GetBuiltins)(void);

	PyObject *(*PyErr_Occurred)(void);
	void (*PyErr_Fetch)(PyObject **, PyObject **, PyObject **);
	void (*PyErr_Restore)(PyObject *, PyObject *, PyObject *);
	void (*PyErr_NormalizeException)(PyObject **, PyObject **, PyObject **);
	void (*PyErr_Clear)(void);
	void (*PyErr_Print)(void);
	void (*PyErr_SetString)(PyObject *, const char *);
	void (*PyErr_SetObject)(PyObject *, PyObject *);
	int (*PyErr_ExceptionMatches)(PyObject *);
	PyObject *(*PyErr_Format)(PyObject *, const char *, ...);
	int (*PyException_SetTraceback)(PyObject *, PyObject *);

	PyObject *(*PySys_GetObject)(const char *);
	int (*PySys_SetObject)(const char *, PyObject *);

	// Data symbols: addresses of the objects or of the PyObject* variables.
	PyObject *Py_None;
	PyObject **PyExc_AssertionError;
	PyObject **PyExc_TypeError;
	PyObject **PyExc_ValueError;
	PyObject **PyExc_RuntimeError;
} wgo_api_t;

extern wgo_api_t wgo;

// wgo_load dlopens libpython at path with RTLD_GLOBAL (on Windows: LoadLibrary) and resolves
// the table; a NULL path means the running process's own symbols (not on Windows). It returns
// NULL on success or a static/allocated error message (caller must not free).
const char *wgo_load(const char *path);

// wgo_sym looks name up in the libpython wgo_load loaded (NULL when it is not there).
void *wgo_sym(const char *name);

// wgo_close_body closes a spooled request body that was not handed to Python. On Windows it is
// a Win32 HANDLE, not a descriptor: Python's C runtime is not ours, so Python makes a
// descriptor of its own from the handle (open_input in bootstrap.py).
void wgo_close_body(int fd);

#endif
