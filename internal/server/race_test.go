//go:build race

package server

// The race detector multiplies heap use, so memory bounds are checked loosely under it.
const heapSlack = 4
