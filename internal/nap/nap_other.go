//go:build !linux

// Package nap sleeps for short, precise times (tens of microseconds) from a goroutine.
package nap

import "time"

// Napper sleeps with time.Sleep here.
type Napper struct{}

// New returns a Napper.
func New() *Napper { return &Napper{} }

// Nap sleeps for about d.
func (n *Napper) Nap(d time.Duration) { time.Sleep(d) }

// Close releases the timer.
func (n *Napper) Close() {}
