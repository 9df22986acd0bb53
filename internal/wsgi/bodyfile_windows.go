package wsgi

import (
	"os"
	"syscall"
)

// bodyHandle gives Python its own Win32 handle for a spooled body, so the server can close its
// file independently; -1 if it cannot. Python turns the handle into a descriptor of its own C
// runtime (msvcrt.open_osfhandle). Like a dup-ed descriptor, the handle shares the file
// position, which the server has set to the start.
func bodyHandle(f *os.File) int {
	p, err := syscall.GetCurrentProcess()
	if err != nil {
		return -1
	}
	var h syscall.Handle
	if err := syscall.DuplicateHandle(p, syscall.Handle(f.Fd()), p, &h, 0, false, syscall.DUPLICATE_SAME_ACCESS); err != nil {
		return -1
	}
	// Kernel handles fit in 32 bits (they are shared with 32-bit processes), and the C side
	// carries them in an int.
	if uintptr(h) > 0x7fffffff {
		syscall.CloseHandle(h)
		return -1
	}
	return int(h)
}
