package options

import "os"

// fileMode converts permission bits as chmod(2) takes them (including
// setuid, setgid and sticky) into an os.FileMode.
func fileMode(n int64) os.FileMode {
	m := os.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= os.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= os.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= os.ModeSticky
	}
	return m
}
