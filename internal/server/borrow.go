package server

// borrowBudget bounds how many bytes of the application's own bytes objects all connections
// together may be sending without a copy (BodyBorrowed). Beyond it output is copied, and spooled
// past OutbufOverflow, as Waitress does, so slow clients cannot make the server keep unbounded
// amounts of application memory alive.
const borrowBudget = 64 << 20

// BodyBorrowed implements wsgi.Borrower: p, a large piece of the body, is queued as it is and
// written straight from the application's bytes object; release is called once it has been
// sent or dropped. It declines whatever Body would not send unchanged (no body, chunked
// framing, beyond Content-Length), and anything over the budget.
func (w *response) BodyBorrowed(p []byte, release func()) (accepted, full bool) {
	n := int64(len(p))
	s := w.c.srv
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gone {
		return false, false
	}
	if !w.headBuilt {
		w.buildHead()
	}
	if !w.hasBody || w.chunked || w.cl >= 0 && w.written+n > w.cl {
		return false, false
	}
	if s.borrowed.Add(n) > borrowBudget {
		s.borrowed.Add(-n)
		return false, false
	}
	w.written += n
	w.q = append(w.q, segment{mem: p, release: release})
	w.pending += n
	return true, w.queued()
}

// giveBack returns a lent segment's memory to the application (w.mu held).
func (w *response) giveBack(sg *segment) {
	w.c.srv.borrowed.Add(-int64(len(sg.mem)))
	sg.release()
	sg.mem, sg.release = nil, nil
}
