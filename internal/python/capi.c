// Loading libpython at run time: dlopen with RTLD_GLOBAL (so C extension modules, which are
// not linked against libpython, resolve its symbols) and dlsym of every entry point we use.
// On Windows: LoadLibrary of python3X.dll (extension modules link against it by name, so it
// needs no global flag) and GetProcAddress.
#include <stdio.h>
#include <string.h>
#include "capi.h"
#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <dlfcn.h>
#include <unistd.h>
#endif

wgo_api_t wgo;

static char wgo_load_err[512];

// lib is the loaded libpython, kept for wgo_sym.
static void *lib;

#ifdef _WIN32
// lib_open loads the DLL at path, a UTF-8 string. With a full path, the DLL's own directory is
// searched for its dependencies (vcruntime140.dll sits next to python3X.dll), as
// LOAD_WITH_ALTERED_SEARCH_PATH does; a bare name uses the standard search order.
static void *lib_open(const char *path) {
	if (!path) {
		snprintf(wgo_load_err, sizeof wgo_load_err, "attaching to a running interpreter is not supported on Windows");
		return NULL;
	}
	wchar_t wpath[4096];
	if (!MultiByteToWideChar(CP_UTF8, 0, path, -1, wpath, sizeof wpath / sizeof wpath[0])) {
		snprintf(wgo_load_err, sizeof wgo_load_err, "%s: path too long or not UTF-8", path);
		return NULL;
	}
	DWORD flags = (strchr(path, '\\') || strchr(path, '/')) ? LOAD_WITH_ALTERED_SEARCH_PATH : 0;
	HMODULE h = LoadLibraryExW(wpath, NULL, flags);
	if (!h) {
		DWORD code = GetLastError();
		char msg[256] = "";
		FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, msg,
		               sizeof msg, NULL);
		msg[strcspn(msg, "\r\n")] = 0;
		snprintf(wgo_load_err, sizeof wgo_load_err, "%s: %s (error %lu)", path, msg, (unsigned long)code);
	}
	return (void *)h;
}

static void *lib_sym(void *h, const char *name) { return (void *)GetProcAddress((HMODULE)h, name); }
#else
// lib_open dlopens path; NULL means the running process (attached mode).
static void *lib_open(const char *path) {
	void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!h) snprintf(wgo_load_err, sizeof wgo_load_err, "%s", dlerror());
	return h;
}

static void *lib_sym(void *h, const char *name) { return dlsym(h, name); }
#endif

void *wgo_sym(const char *name) { return lib ? lib_sym(lib, name) : NULL; }

void wgo_close_body(int fd) {
#ifdef _WIN32
	CloseHandle((HANDLE)(intptr_t)fd);
#else
	close(fd);
#endif
}

const char *wgo_load(const char *path) {
	void *h = lib_open(path);
	if (!h) return wgo_load_err;
	lib = h;
#define SYM(name, optional)                                                           \
	do {                                                                          \
		*(void **)(&wgo.name) = lib_sym(h, #name);                             \
		if (!wgo.name && !(optional)) {                                       \
			snprintf(wgo_load_err, sizeof wgo_load_err, "%s: missing symbol %s", path, #name); \
			return wgo_load_err;                                          \
		}                                                                     \
	} while (0)
	SYM(Py_InitializeEx, 0);
	SYM(Py_FinalizeEx, 0);
	SYM(Py_IsInitialized, 0);
	SYM(Py_SetProgramName, 1);
	SYM(Py_DecodeLocale, 0);
	SYM(PyEval_SaveThread, 0);
	SYM(PyEval_RestoreThread, 0);
	SYM(PyGILState_Ensure, 0);
	SYM(PyGILState_Release, 0);
	SYM(Py_IncRef, 0);
	SYM(Py_DecRef, 0);
	SYM(PyType_GetFlags, 0);
	SYM(PyType_GetSlot, 0);
	SYM(PyType_FromSpec, 0);
	SYM(PyUnicode_DecodeLatin1, 0);
	SYM(PyUnicode_FromStringAndSize, 0);
	SYM(PyUnicode_FromString, 0);
	SYM(PyUnicode_InternFromString, 0);
	SYM(PyUnicode_AsLatin1String, 0);
	SYM(PyUnicode_AsUTF8String, 0);
	SYM(PyUnicode_FindChar, 0);
	SYM(PyUnicode_GetLength, 0);
	SYM(PyUnicode_CompareWithASCIIString, 0);
	SYM(PyBytes_FromStringAndSize, 0);
	SYM(PyBytes_AsStringAndSize, 0);
	SYM(PyLong_FromLong, 0);
	SYM(PyLong_FromLongLong, 0);
	SYM(PyLong_AsLongLong, 0);
	SYM(PyBool_FromLong, 0);
	SYM(PyDict_New, 0);
	SYM(PyDict_Copy, 0);
	SYM(PyDict_SetItem, 0);
	SYM(PyDict_SetItemString, 0);
	SYM(PyDict_GetItemString, 0);
	SYM(PyDict_Contains, 0);
	SYM(PyList_New, 0);
	SYM(PyList_Append, 0);
	SYM(PyList_Size, 0);
	SYM(PyList_GetItem, 0);
	SYM(PyList_SetSlice, 0);
	SYM(PyTuple_New, 0);
	SYM(PyTuple_SetItem, 0);
	SYM(PyTuple_Size, 0);
	SYM(PyTuple_GetItem, 0);
	SYM(PyObject_GetIter, 0);
	SYM(PyIter_Next, 0);
	SYM(PyObject_Call, 0);
	SYM(PyObject_CallObject, 0);
	SYM(PyObject_CallFunctionObjArgs, 0);
	SYM(PyObject_GetAttrString, 0);
	SYM(PyObject_HasAttrString, 0);
	SYM(PyObject_GetAttr, 0);
	SYM(PyObject_IsInstance, 0);
	SYM(PyObject_Size, 0);
	SYM(PyObject_Str, 0);
	SYM(PyCallable_Check, 0);
	SYM(PyCFunction_NewEx, 0);
	SYM(PyImport_ImportModule, 0);
	SYM(PyImport_AddModule, 0);
	SYM(PyModule_GetDict, 0);
	SYM(Py_CompileString, 0);
	SYM(PyEval_EvalCode, 0);
	SYM(PyEval_GetBuiltins, 0);
	SYM(PyErr_Occurred, 0);
	SYM(PyErr_Fetch, 0);
	SYM(PyErr_Restore, 0);
	SYM(PyErr_NormalizeException, 0);
	SYM(PyErr_Clear, 0);
	SYM(PyErr_Print, 0);
	SYM(PyErr_SetString, 0);
	SYM(PyErr_SetObject, 0);
	SYM(PyErr_ExceptionMatches, 0);
	SYM(PyErr_Format, 0);
	SYM(PyException_SetTraceback, 0);
	SYM(PySys_GetObject, 0);
	SYM(PySys_SetObject, 0);
#define DATA(field, name)                                                             \
	do {                                                                          \
		*(void **)(&wgo.field) = lib_sym(h, name);                             \
		if (!wgo.field) {                                                     \
			snprintf(wgo_load_err, sizeof wgo_load_err, "%s: missing symbol %s", path, name); \
			return wgo_load_err;                                          \
		}                                                                     \
	} while (0)
	DATA(Py_None, "_Py_NoneStruct");
	DATA(PyExc_AssertionError, "PyExc_AssertionError");
	DATA(PyExc_TypeError, "PyExc_TypeError");
	DATA(PyExc_ValueError, "PyExc_ValueError");
	DATA(PyExc_RuntimeError, "PyExc_RuntimeError");
#undef SYM
#undef DATA
	return NULL;
}
