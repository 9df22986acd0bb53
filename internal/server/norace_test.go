//go:build !race

package server

const heapSlack = 1
