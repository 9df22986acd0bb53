package http1

// Bounds on the non-data parts of a chunked body. Waitress has none (its receiver.py carries
// them only as comments); without them a client could stream an endless chunk-size line.
const (
	maxChunkLine    = 4000  // chunk-size plus chunk-ext, in bytes
	maxTrailerBytes = 65536 // the whole trailer section
)

const (
	msgChunkSize    = "Invalid chunk size"
	msgChunkExt     = "Invalid chunk extension"
	msgChunkEnd     = "Chunk not properly terminated"
	msgChunkLineLen = "Chunk size line is too long"
	msgTrailer      = "Invalid trailer"
	msgTrailerLen   = "Trailer section is too long"
)

type chunkState uint8

const (
	csSizeStart chunkState = iota
	csSize
	csExtName
	csExtNameMore
	csExtValStart
	csExtValToken
	csExtQuoted
	csExtQuotedPair
	csExtQuotedEnd
	csSizeLF
	csData
	csDataCR
	csDataLF
	csTrailerStart
	csTrailerName
	csTrailerValue
	csTrailerLF
	csFinalLF
	csDone
	csFailed
)

// ChunkedDecoder decodes a chunked request body (RFC 9112 §7.1) incrementally, over arbitrary
// split points, without buffering anything but its state. Call Reset before each body.
//
// It accepts exactly what Waitress's ChunkedReceiver accepts except that, following RFC 9112,
// it refuses empty lines between chunks and whitespace or a bare LF around the chunk size, it
// checks trailer fields' syntax (then drops them, as Waitress does), and it bounds the size line
// and the trailer section.
type ChunkedDecoder struct {
	state     chunkState
	max       int64 // refuse once the decoded size would reach this
	total     int64 // decoded bytes so far
	remaining int64 // data bytes left in the current chunk
	size      int64 // chunk size being read
	tooBig    bool  // the chunk size being read is beyond any limit
	inExt     bool  // the size line has reached its extensions
	lineLen   int   // bytes of the current size line
	trailer   int   // bytes of the trailer section
	err       *Error
}

// Reset prepares d for a new body whose decoded size must stay below maxBody
// (max_request_body_size).
func (d *ChunkedDecoder) Reset(maxBody int64) {
	*d = ChunkedDecoder{max: maxBody}
}

// Decode consumes bytes from in, appends the decoded body bytes to dst and returns the new dst,
// how many bytes of in it consumed, and whether the body is complete (last chunk, trailer
// section and final CRLF read). Bytes after the end of the body are not consumed. err is an
// *Error: 400 for malformed framing, 413 when the decoded size would reach maxBody; once an
// error is returned every later call returns it again.
func (d *ChunkedDecoder) Decode(dst, in []byte) (out []byte, consumed int, done bool, err error) {
	i := 0
	for i < len(in) {
		if d.state == csData {
			n := int64(len(in) - i)
			if n > d.remaining {
				n = d.remaining
			}
			dst = append(dst, in[i:i+int(n)]...)
			i += int(n)
			d.remaining -= n
			if d.remaining == 0 {
				d.state = csDataCR
			}
			continue
		}
		if d.state == csDone {
			return dst, i, true, nil
		}
		if d.state == csFailed {
			return dst, i, false, d.err
		}
		c := in[i]
		i++
		if e := d.step(c); e != nil {
			d.state, d.err = csFailed, e
			return dst, i, false, e
		}
	}
	if d.state == csFailed {
		return dst, i, false, d.err
	}
	return dst, i, d.state == csDone, nil
}

func (d *ChunkedDecoder) fail(msg string) *Error { return badRequest(msg, 1) }

// step advances the state machine over one framing byte.
func (d *ChunkedDecoder) step(c byte) *Error {
	switch d.state {
	case csSizeStart, csSize, csExtName, csExtNameMore, csExtValStart, csExtValToken,
		csExtQuoted, csExtQuotedPair, csExtQuotedEnd:
		if d.lineLen++; d.lineLen > maxChunkLine {
			return d.fail(msgChunkLineLen)
		}
	case csTrailerStart, csTrailerName, csTrailerValue, csTrailerLF, csFinalLF:
		if d.trailer++; d.trailer > maxTrailerBytes {
			return d.fail(msgTrailerLen)
		}
	}
	class := charClass[c]
	switch d.state {
	case csSizeStart:
		if class&classHex == 0 {
			return d.fail(msgChunkSize)
		}
		d.size, d.tooBig = unhex(c), false
		d.state = csSize
	case csSize:
		switch {
		case class&classHex != 0:
			if d.size > 1<<58 {
				d.tooBig = true
			} else {
				d.size = d.size<<4 | unhex(c)
			}
		case c == ';' || c == '\r':
			if d.size > 0 && (d.tooBig || d.total+d.size >= d.max) {
				return entityTooLarge(d.max, 1)
			}
			if c == ';' {
				d.inExt = true
				d.state = csExtName
			} else {
				d.state = csSizeLF
			}
		default:
			return d.fail(msgChunkSize)
		}
	case csExtName:
		if class&classToken == 0 {
			return d.fail(msgChunkExt)
		}
		d.state = csExtNameMore
	case csExtNameMore, csExtValToken:
		switch {
		case class&classToken != 0:
		case c == '=' && d.state == csExtNameMore:
			d.state = csExtValStart
		case c == ';':
			d.state = csExtName
		case c == '\r':
			d.state = csSizeLF
		default:
			return d.fail(msgChunkExt)
		}
	case csExtValStart:
		switch {
		case c == '"':
			d.state = csExtQuoted
		case class&classToken != 0:
			d.state = csExtValToken
		default:
			return d.fail(msgChunkExt)
		}
	case csExtQuoted:
		switch {
		case c == '"':
			d.state = csExtQuotedEnd
		case c == '\\':
			d.state = csExtQuotedPair
		case class&classQdText == 0:
			return d.fail(msgChunkExt)
		}
	case csExtQuotedPair:
		if class&classField == 0 {
			return d.fail(msgChunkExt)
		}
		d.state = csExtQuoted
	case csExtQuotedEnd:
		switch c {
		case ';':
			d.state = csExtName
		case '\r':
			d.state = csSizeLF
		default:
			return d.fail(msgChunkExt)
		}
	case csSizeLF:
		if c != '\n' {
			if d.inExt {
				return d.fail(msgChunkExt)
			}
			return d.fail(msgChunkSize)
		}
		d.lineLen, d.inExt = 0, false
		if d.size == 0 {
			d.state = csTrailerStart
		} else {
			d.total += d.size
			d.remaining = d.size
			d.state = csData
		}
	case csDataCR:
		if c != '\r' {
			return d.fail(msgChunkEnd)
		}
		d.state = csDataLF
	case csDataLF:
		if c != '\n' {
			return d.fail(msgChunkEnd)
		}
		d.state = csSizeStart
	case csTrailerStart:
		switch {
		case c == '\r':
			d.state = csFinalLF
		case class&classToken != 0:
			d.state = csTrailerName
		default:
			return d.fail(msgTrailer)
		}
	case csTrailerName:
		switch {
		case class&classToken != 0:
		case c == ':':
			d.state = csTrailerValue
		default:
			return d.fail(msgTrailer)
		}
	case csTrailerValue:
		switch {
		case c == '\r':
			d.state = csTrailerLF
		case class&classField == 0:
			return d.fail(msgTrailer)
		}
	case csTrailerLF:
		if c != '\n' {
			return d.fail(msgTrailer)
		}
		d.state = csTrailerStart
	case csFinalLF:
		if c != '\n' {
			return d.fail(msgTrailer)
		}
		d.state = csDone
	}
	return nil
}
