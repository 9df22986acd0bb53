package server

import (
	"sync/atomic"
	"time"

	"github.com/waitress-go/waitress-go/internal/http1"
)

// dateCache holds the Date header value, formatted once per second.
type dateCache struct {
	cur atomic.Pointer[dateEntry]
}

type dateEntry struct {
	sec int64
	b   []byte
}

// get returns the current HTTP date. The slice is shared and must not be modified.
func (d *dateCache) get() []byte {
	now := time.Now()
	if e := d.cur.Load(); e != nil && e.sec == now.Unix() {
		return e.b
	}
	e := &dateEntry{sec: now.Unix(), b: http1.AppendDate(nil, now)}
	d.cur.Store(e)
	return e.b
}
