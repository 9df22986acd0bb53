package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Flags of CreateFile that package syscall does not name.
const (
	fileAttributeTemporary = 0x00000100 // FILE_ATTRIBUTE_TEMPORARY: keep it in the cache
	fileFlagDeleteOnClose  = 0x04000000 // FILE_FLAG_DELETE_ON_CLOSE
)

// createSpool creates a temporary file (pattern as os.CreateTemp's) that Windows deletes when
// its last handle is closed, even if the process dies: an open file cannot be removed there,
// so FILE_FLAG_DELETE_ON_CLOSE stands in for unlinking it. Handles duplicated from it (the
// request body handed to Python) keep it alive until they are closed too.
func createSpool(pattern string) (*os.File, error) {
	prefix, suffix, _ := strings.Cut(pattern, "*")
	for range 100 {
		var r [8]byte
		rand.Read(r[:])
		name := filepath.Join(os.TempDir(), prefix+hex.EncodeToString(r[:])+suffix)
		p, err := syscall.UTF16PtrFromString(name)
		if err != nil {
			return nil, &os.PathError{Op: "createtemp", Path: name, Err: err}
		}
		h, err := syscall.CreateFile(p, syscall.GENERIC_READ|syscall.GENERIC_WRITE,
			syscall.FILE_SHARE_READ|syscall.FILE_SHARE_WRITE|syscall.FILE_SHARE_DELETE, nil,
			syscall.CREATE_NEW, fileAttributeTemporary|fileFlagDeleteOnClose, 0)
		if errors.Is(err, syscall.ERROR_FILE_EXISTS) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "createtemp", Path: name, Err: err}
		}
		return os.NewFile(uintptr(h), name), nil
	}
	return nil, &os.PathError{Op: "createtemp", Path: filepath.Join(os.TempDir(), pattern), Err: os.ErrExist}
}
