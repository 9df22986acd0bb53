//go:build unix

package server

import "os"

// createSpool creates a temporary file (pattern as os.CreateTemp's) and unlinks it at once,
// so it disappears when closed even if the process dies.
func createSpool(pattern string) (*os.File, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	return f, nil
}
