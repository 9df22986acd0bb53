//go:build unix

// Command pyext is waitress-go's engine as a CPython extension module, waitress_go._engine,
// for the waitress_go Python package (python/waitress_go): serve(app), create_server(app) and
// python -m waitress_go run the Go server inside the calling Python process.
//
// Build it as a shared library with the module's file name:
//
//	go build -buildmode=c-shared -o python/waitress_go/_engine.abi3.so ./cmd/pyext
//
// It uses only the stable ABI, found at run time in the importing process (the python
// executable or its libpython), so one build serves every CPython 3.9+ on the platform, with
// or without a shared libpython.
package main

import "C"

import (
	"unsafe"

	"github.com/waitress-go/waitress-go/internal/python"
)

// PyInit__engine is the module's init function, called by the import of waitress_go._engine.
//
//export PyInit__engine
func PyInit__engine() unsafe.Pointer {
	return python.Attach("waitress_go._engine", []python.ExtFunc{
		{Name: "adjustments", Doc: "adjustments() -> list of the keyword names create_server accepts.", Fn: adjustments},
		{Name: "create", Doc: "create(app, [(name, value), ...], [fd, ...]) -> (handle, warnings, urls): listen and get ready to serve app.", Fn: create},
		{Name: "run", Doc: "run(handle): serve until close(handle) or Ctrl-C, then drain and stop.", Fn: run},
		{Name: "close", Doc: "close(handle, wait): stop the server; wait=1 also waits for run() to finish.", Fn: closeServer},
		{Name: "main", Doc: "main(prog, [arg, ...]) -> exit status: waitress-serve's command line, in this process.", Fn: cliMain},
	})
}

// main is required by -buildmode=c-shared and never runs.
func main() {}
