//go:build !linux

package wsgi

// threadProbe cannot see thread states on this OS: a stalled queue is taken to mean a blocked
// worker, as the time-based rule alone decides.
type threadProbe struct{}

func newThreadProbe() *threadProbe     { return nil }
func (p *threadProbe) sleeping() bool  { return true }
func (p *threadProbe) cpuNanos() int64 { return 0 }
func probeHere() *threadProbe          { return nil }
