package server

import (
	"errors"
	"io"
	"os"
	"runtime"
	"testing"
)

// A spool file must hold what is written and leave nothing on disk once closed (on Unix, not
// even while open), so large uploads and responses never leak temporary files.
func TestCreateSpoolLeavesNoFile(t *testing.T) {
	f, err := createSpool("waitress-test-*")
	if err != nil {
		t.Fatal(err)
	}
	name := f.Name()
	if _, err := f.Write([]byte("hello, spool")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil || string(got) != "hello, spool" {
		t.Fatalf("read back %q, %v", got, err)
	}
	if runtime.GOOS != "windows" {
		if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("open spool file %s has a name on disk (stat: %v)", name, err)
		}
	}
	f.Close()
	if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("closed spool file %s still exists (stat: %v)", name, err)
	}
}
