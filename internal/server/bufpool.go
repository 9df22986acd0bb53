package server

import "sync"

// Output buffers are shared by all connections through size classes (4 KiB, 16 KiB, 64 KiB,
// 256 KiB, 1 MiB), so a response of any common size is copied once into a buffer that fits it,
// without growing through reallocations, and idle connections hold no buffers.
var bufClasses [5]sync.Pool

const minBufClass = 4 << 10

// bufClass returns the smallest class holding n bytes, or -1 above the largest.
func bufClass(n int) int {
	size := minBufClass
	for c := range bufClasses {
		if n <= size {
			return c
		}
		size <<= 2
	}
	return -1
}

// getBuf returns an empty buffer with room for at least n bytes.
func getBuf(n int) []byte {
	c := bufClass(n)
	if c < 0 {
		return make([]byte, 0, n)
	}
	if b, ok := bufClasses[c].Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, minBufClass<<(2*c))
}

// putBuf returns a buffer obtained from getBuf for reuse.
func putBuf(b []byte) {
	c := bufClass(cap(b))
	if c < 0 || cap(b) != minBufClass<<(2*c) {
		return
	}
	b = b[:0]
	bufClasses[c].Put(&b)
}
