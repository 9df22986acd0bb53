package server

import (
	"io"
	"os"
)

// readBody reads the whole body of c.req, whose head ends at c.r0. A body of InbufOverflow
// bytes or more goes to c.bodyFile (an unlinked temporary file, read from offset 0); a smaller
// one is returned, aliasing rbuf when it arrived with the head. bodyLen is its length.
func (c *conn) readBody() (body []byte, bodyLen int64, err error) {
	r := &c.req
	if !r.Chunked && r.ContentLength <= 0 {
		return nil, 0, nil
	}
	if r.Chunked {
		return c.readChunked()
	}
	cl := r.ContentLength
	buffered := int64(c.r1 - c.r0)
	if buffered >= cl {
		body = c.rbuf[c.r0 : c.r0+int(cl)]
		c.r0 += int(cl)
		return body, cl, nil
	}
	c.sendContinue()
	c.extendReadDeadline()
	if cl >= c.srv.cfg.InbufOverflow {
		f, err := c.spoolFile()
		if err != nil {
			return nil, 0, err
		}
		if _, err := f.Write(c.rbuf[c.r0:c.r1]); err != nil {
			return nil, 0, &spoolError{err}
		}
		c.r0 = c.r1
		if _, err := io.CopyN(spoolWriter{f}, progressReader{c}, cl-buffered); err != nil {
			return nil, 0, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, 0, &spoolError{err}
		}
		return nil, cl, nil
	}
	if int64(cap(c.bodyBuf)) < cl {
		c.bodyBuf = make([]byte, cl)
	}
	body = c.bodyBuf[:cl]
	copy(body, c.rbuf[c.r0:c.r1])
	c.r0 = c.r1
	if _, err := io.ReadFull(progressReader{c}, body[buffered:]); err != nil {
		return nil, 0, err
	}
	return body, cl, nil
}

// sendContinue sends "100 Continue" to a client that waits for it before sending a body we
// do not have yet (channel.send_continue).
func (c *conn) sendContinue() {
	if !c.req.Expect100 {
		return
	}
	c.req.Expect100 = false
	// With read-ahead, earlier responses may still be going out: the interim response must
	// wait for them to keep the output in order (channel.service sends it afterwards).
	if c.la != nil && !c.la.waitIdle() {
		return
	}
	c.armWrite()
	if _, err := c.nc.Write(continueLine); err != nil {
		c.writeError(err)
	}
}

// extendReadDeadline gives a body ChannelTimeout of inactivity, not of total time, like
// Waitress's last_activity: a large upload on a slow link may take longer.
func (c *conn) extendReadDeadline() {
	c.armRead()
}

// progressReader reads the connection, pushing the read deadline out while data arrives.
type progressReader struct{ c *conn }

func (p progressReader) Read(b []byte) (int, error) {
	n, err := p.c.nc.Read(b)
	if n > 0 {
		p.c.extendReadDeadline()
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// spoolError is a failure to store a request body in its temporary file (disk full, temporary
// directory not writable): the server's fault, answered with a 500 rather than a dropped
// connection.
type spoolError struct{ err error }

func (e *spoolError) Error() string { return "spool request body: " + e.err.Error() }
func (e *spoolError) Unwrap() error { return e.err }

// spoolWriter marks write errors as the spool file's, not the connection's.
type spoolWriter struct{ f *os.File }

func (w spoolWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = &spoolError{err}
	}
	return n, err
}

// spoolFile creates the temporary file for a large body; it disappears when closed, even if
// the process dies (createSpool).
func (c *conn) spoolFile() (*os.File, error) {
	f, err := createSpool("waitress-body-*")
	if err != nil {
		return nil, &spoolError{err}
	}
	c.bodyFile = f
	return f, nil
}

// readChunked decodes a chunked body. Decoded bytes collect in bodyBuf until they reach
// InbufOverflow, then move to a spool file.
func (c *conn) readChunked() (body []byte, bodyLen int64, err error) {
	s := c.srv
	c.dec.Reset(s.cfg.MaxRequestBodySize)
	out := c.bodyBuf[:0]
	var total int64
	headEnd := c.r0
	sentContinue := false
	for {
		if c.r1 > c.r0 {
			var consumed int
			var done bool
			var derr error
			out, consumed, done, derr = c.dec.Decode(out, c.rbuf[c.r0:c.r1])
			c.r0 += consumed
			if derr != nil {
				return nil, 0, derr
			}
			if c.bodyFile != nil || int64(len(out))+total >= s.cfg.InbufOverflow {
				if c.bodyFile == nil {
					if _, err := c.spoolFile(); err != nil {
						return nil, 0, err
					}
				}
				if _, err := c.bodyFile.Write(out); err != nil {
					return nil, 0, &spoolError{err}
				}
				total += int64(len(out))
				out = out[:0]
			}
			if done {
				break
			}
		}
		if !sentContinue {
			sentContinue = true
			c.sendContinue()
			c.extendReadDeadline()
		}
		// Make room after the head (which the request still aliases) for more input.
		if c.r0 == c.r1 {
			c.r0, c.r1 = headEnd, headEnd
		}
		if c.r1 == len(c.rbuf) {
			if c.r0 > headEnd {
				c.r1 = headEnd + copy(c.rbuf[headEnd:], c.rbuf[c.r0:c.r1])
				c.r0 = headEnd
			}
			if len(c.rbuf)-c.r1 < s.cfg.RecvBytes {
				nb := make([]byte, len(c.rbuf)+s.cfg.RecvBytes)
				copy(nb, c.rbuf[:c.r1])
				// c.req keeps aliasing the old buffer, which is no longer written to.
				c.rbuf = nb
			}
		}
		n, err := progressReader{c}.Read(c.rbuf[c.r1:])
		c.r1 += n
		if err != nil && n == 0 {
			return nil, 0, err
		}
	}
	c.bodyBuf = out[:0]
	if c.bodyFile != nil {
		if _, err := c.bodyFile.Seek(0, io.SeekStart); err != nil {
			return nil, 0, &spoolError{err}
		}
		return nil, total, nil
	}
	return out, int64(len(out)), nil
}
