package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// Listen binds every configured address. A unix socket path that holds a stale socket is
// removed first and the new socket is chmod-ed to UnixSocketPerms, as Waitress's
// UnixWSGIServer.bind_server_socket. Errors name the address:
// "bind 127.0.0.1:8080: address already in use".
func (s *Server) Listen() error {
	var opened []*listener
	for _, a := range s.cfg.Addrs {
		l, err := s.listen(a)
		if err != nil {
			for _, o := range opened {
				o.l.Close()
			}
			return err
		}
		opened = append(opened, l)
	}
	s.mu.Lock()
	s.listeners = append(s.listeners, opened...)
	s.mu.Unlock()
	return nil
}

func (s *Server) listen(a Addr) (*listener, error) {
	network := a.Network
	if network == "" {
		network = "tcp"
	}
	if network == "unix" {
		if err := removeStaleSocket(a.Address); err != nil {
			return nil, fmt.Errorf("bind %s: %w", a.Address, err)
		}
	}
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), network, a.Address)
	if err != nil {
		return nil, bindError(a.Address, err)
	}
	if err := setBacklog(l, s.cfg.Backlog); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen %s: %w", a.Address, err)
	}
	if network == "unix" {
		if err := os.Chmod(a.Address, s.cfg.UnixSocketPerms); err != nil {
			l.Close()
			return nil, fmt.Errorf("chmod %s: %w", a.Address, err)
		}
	}
	return newListener(l), nil
}

// bindError reduces net's "listen tcp4 127.0.0.1:8080: bind: address already in use" to the
// address and the system's reason.
func bindError(addr string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return fmt.Errorf("bind %s: %w", addr, errno)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Errorf("bind %s: %s", addr, dnsErr.Err)
	}
	return fmt.Errorf("bind %s: %w", addr, err)
}

// removeStaleSocket removes path if it is a socket (utilities.cleanup_unix_socket); any other
// kind of file is left for bind to fail on.
func removeStaleSocket(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	if st.Mode()&os.ModeSocket != 0 {
		_ = os.Remove(path)
	}
	return nil
}

func newListener(l net.Listener) *listener {
	out := &listener{l: l}
	switch a := l.Addr().(type) {
	case *net.TCPAddr:
		port := strconv.Itoa(a.Port)
		host := a.IP.String()
		if a.Zone != "" {
			host += "%" + a.Zone
		}
		out.port = []byte(port)
		out.url = "http://" + net.JoinHostPort(host, port)
	case *net.UnixAddr:
		out.isUnix = true
		out.port = []byte(a.Name)
		out.url = "http://unix:" + a.Name
	default:
		out.url = "http://" + l.Addr().String()
		if _, port, err := net.SplitHostPort(l.Addr().String()); err == nil {
			out.port = []byte(port)
		}
	}
	return out
}
