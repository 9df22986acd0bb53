package server

import (
	"testing"
	"time"
)

func TestExtendDeadline(t *testing.T) {
	const timeout = 64 * time.Second
	now := time.Now().UnixNano()
	tests := []struct {
		name  string
		until int64
		rearm bool
	}{
		{"none armed", 0, true},
		{"armed in the past", now - int64(time.Second), true},
		{"less than the timeout away", now + int64(timeout) - int64(time.Millisecond), true},
		{"a full timeout away", now + int64(timeout) + int64(time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now().UnixNano()
			at, ok := extend(tt.until, timeout)
			after := time.Now().UnixNano()
			if ok != tt.rearm {
				t.Fatalf("extend(%d) re-arms = %v, want %v", tt.until, ok, tt.rearm)
			}
			if !ok {
				return
			}
			// Never early; at most 1/64 of the timeout late.
			if lo, hi := before+int64(timeout), after+int64(timeout)+int64(timeout/deadlineSlack); at < lo || at > hi {
				t.Errorf("deadline %v from now, want between %v and %v", time.Duration(at-before), timeout, timeout+timeout/deadlineSlack)
			}
		})
	}
}
