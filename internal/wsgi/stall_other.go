//go:build !linux

package wsgi

import "time"

// probesThreads is false: threadProbe cannot see thread states here, so the queue-age rule
// alone decides when another thread is let in.
const probesThreads = false

// stallAfter is the least time a request waits in the queue before another thread is let in.
// The looks always find the threads "asleep" here, so this is the rule: long enough that a
// working thread is rarely mistaken for a blocked one.
const stallAfter = 500 * time.Microsecond
