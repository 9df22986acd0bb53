package http1

import "errors"

// ErrInvalidEscape reports a '%' in a path that does not start a %XX escape. It is advisory:
// DecodePath still returns the path Waitress would use.
var ErrInvalidEscape = errors.New("http1: invalid percent-escape in path")

// DecodePath appends the percent-decoded raw path to dst and returns it, as Waitress's
// unquote_to_bytes does before decoding PATH_INFO as latin-1: each %XX becomes the byte 0xXX,
// and a '%' not followed by two hex digits is kept literally. err is ErrInvalidEscape when such
// a '%' was seen; the returned bytes are valid either way, so a server matching Waitress
// ignores it.
func DecodePath(raw []byte, dst []byte) ([]byte, error) {
	var err error
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			if i+2 < len(raw) && charClass[raw[i+1]]&classHex != 0 && charClass[raw[i+2]]&classHex != 0 {
				dst = append(dst, byte(unhex(raw[i+1])<<4|unhex(raw[i+2])))
				i += 2
				continue
			}
			err = ErrInvalidEscape
		}
		dst = append(dst, c)
	}
	return dst, err
}
