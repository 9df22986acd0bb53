package options

import (
	"errors"
	"strconv"
	"strings"
)

// Converters mirroring the ones in Waitress's adjustments.py, for values
// that arrive as strings (from the command line or from Python keywords).

// truthy are the strings asbool treats as true, after trimming and lowercasing.
var truthy = map[string]bool{"t": true, "true": true, "y": true, "yes": true, "on": true, "1": true}

// asBool is Waitress's asbool: any value not in truthy is false, never an error.
func asBool(s string) bool {
	return truthy[strings.ToLower(strings.TrimSpace(s))]
}

// asList is Waitress's aslist: split into lines, then on whitespace. Commas
// also separate items (Waitress would keep them inside an item and then
// reject it), so "a,b" and "a b" mean the same.
func asList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
	})
}

// slashFixed is Waitress's slash_fixed_str: empty stays empty, otherwise one
// leading slash and no trailing slashes.
func slashFixed(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	return "/" + strings.TrimRight(strings.TrimLeft(s, "/"), "/")
}

var errNotInteger = errors.New("not an integer")

// pyInt parses an integer the way Python's int(s, base) does for ASCII
// input: surrounding whitespace, an optional sign, single underscores
// between digits, and (for base 8) an optional 0o prefix.
func pyInt(s string, base int) (int64, error) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if base == 8 && len(s) >= 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O') {
		s = s[2:]
		// Python allows an underscore right after the prefix.
		s = strings.TrimPrefix(s, "_")
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, errNotInteger
	}
	digits := strings.ReplaceAll(s, "_", "")
	for _, c := range digits {
		if c < '0' || c >= '0'+rune(base) {
			return 0, errNotInteger
		}
	}
	n, err := strconv.ParseInt(digits, base, 64)
	if err != nil {
		return 0, errNotInteger
	}
	if neg {
		n = -n
	}
	return n, nil
}
