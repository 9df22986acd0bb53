// Package server is waitress-go's network side: it listens, reads and buffers whole requests
// (spooling large bodies to disk), builds their CGI environ, hands them to the WSGI pool
// through a Dispatcher, and buffers and writes the responses, with Waitress's error pages,
// timeouts, limits and log messages.
//
// Each connection has one goroutine. It parses a request with package http1, reads its body,
// submits it, then writes the response while the application produces it; requests on a
// connection are answered in order.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waitress-go/waitress-go/internal/http1"
	"github.com/waitress-go/waitress-go/internal/proxy"
	"github.com/waitress-go/waitress-go/internal/wsgi"
)

// Dispatcher runs requests on the application. Submit must not block; the application's
// output arrives later, from another goroutine, through r.Out.
type Dispatcher interface {
	Submit(r *wsgi.Request)
}

// Server serves WSGI requests on a set of listeners.
type Server struct {
	cfg  Config
	disp Dispatcher
	log  Logger

	keys map[string]string // read-only environ key cache for common header names

	// constant environ values, as bytes so building an environ does not allocate
	urlPrefix, serverName, ident, urlScheme []byte

	dates    dateCache
	borrowed atomic.Int64 // bytes of application objects being sent without a copy
	proxyCfg proxy.Config
	limits   http1.Limits

	// slots holds one token per request queued for or running in the application
	// (ConnectionLimit).
	slots chan struct{}

	mu        sync.Mutex
	listeners []*listener
	conns     map[*conn]struct{}
	serving   bool
	shutdown  bool

	done     chan struct{} // closed by Shutdown
	conndone sync.WaitGroup
	accepts  sync.WaitGroup
	inShut   atomic.Bool
	forced   atomic.Bool // Shutdown's context ended: close without lingering
}

type listener struct {
	l net.Listener
	// port is SERVER_PORT for connections accepted here (the socket path for unix).
	port   []byte
	isUnix bool
	url    string
}

// New returns a server that will hand requests to d and log through log. Zero numeric fields
// of cfg take Waitress's defaults.
func New(cfg Config, d Dispatcher, log Logger) (*Server, error) {
	if d == nil {
		return nil, errors.New("server: nil dispatcher")
	}
	cfg.fill()
	if cfg.URLPrefix != "" && (cfg.URLPrefix[0] != '/' || cfg.URLPrefix[len(cfg.URLPrefix)-1] == '/') {
		return nil, fmt.Errorf("server: url prefix %q must start with '/' and not end with '/'", cfg.URLPrefix)
	}
	if log == nil {
		log = discardLogger{}
	}
	s := &Server{
		cfg:        cfg,
		disp:       d,
		log:        log,
		keys:       buildKeyCache(),
		urlPrefix:  []byte(cfg.URLPrefix),
		serverName: []byte(cfg.ServerName),
		ident:      []byte(cfg.Ident),
		urlScheme:  []byte(cfg.URLScheme),
		slots:      make(chan struct{}, cfg.ConnectionLimit),
		conns:      make(map[*conn]struct{}),
		done:       make(chan struct{}),
	}
	s.proxyCfg = proxyConfig(&s.cfg)
	s.limits = http1.Limits{
		MaxHeaderBytes:   cfg.MaxRequestHeaderSize,
		MaxBodyBytes:     cfg.MaxRequestBodySize,
		AllowMissingHost: true, // Waitress accepts HTTP/1.1 requests without Host
	}
	return s, nil
}

type discardLogger struct{}

func (discardLogger) Log(string, slog.Level, string) {}

const (
	levelInfo  = slog.LevelInfo
	levelWarn  = slog.LevelWarn
	levelError = slog.LevelError
)

func (s *Server) logf(level slog.Level, format string, args ...any) {
	s.log.Log("waitress", level, fmt.Sprintf(format, args...))
}

func (s *Server) logAll(msgs []string) {
	for _, m := range msgs {
		s.log.Log("waitress", levelWarn, m)
	}
}

// AddListener adds an already-listening socket (socket activation, tests). It must be called
// before Serve.
func (s *Server) AddListener(l net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, newListener(l))
}

// URLs returns one "http://host:port" per listener, for the "Serving on ..." lines, as
// Waitress's print_listen formats them: IPv6 hosts in brackets and unix sockets as
// "http://unix:/path".
func (s *Server) URLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.url
	}
	return out
}

// Serve accepts connections on every listener and serves them until Shutdown. It returns nil
// after Shutdown, or an error when there is nothing to serve.
func (s *Server) Serve() error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		return nil
	}
	if len(s.listeners) == 0 {
		s.mu.Unlock()
		return errors.New("server: no listeners")
	}
	if s.serving {
		s.mu.Unlock()
		return errors.New("server: Serve called twice")
	}
	s.serving = true
	for _, l := range s.listeners {
		s.accepts.Add(1)
		go s.acceptLoop(l)
	}
	s.mu.Unlock()
	<-s.done
	s.accepts.Wait()
	return nil
}

func (s *Server) acceptLoop(l *listener) {
	defer s.accepts.Done()
	var backoff time.Duration
	for {
		nc, err := l.l.Accept()
		if err != nil {
			if s.inShut.Load() {
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if s.cfg.LogSocketErrors {
				s.logf(levelWarn, "server accept() threw an exception\n%v", err)
			}
			// EMFILE and friends: back off like net/http rather than spin.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff *= 2; backoff > time.Second {
				backoff = time.Second
			}
			select {
			case <-time.After(backoff):
			case <-s.done:
				return
			}
			continue
		}
		backoff = 0
		c := newConn(s, nc, l)
		s.mu.Lock()
		if s.shutdown {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.conndone.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.conndone.Done()
}

// Shutdown stops accepting, closes idle connections, and lets requests in flight finish and
// their responses flush. When ctx ends first it closes every connection and returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.shutdown {
		s.shutdown = true
		s.inShut.Store(true)
		close(s.done)
		for _, l := range s.listeners {
			l.l.Close()
		}
	}
	for c := range s.conns {
		c.wakeIdle()
	}
	s.mu.Unlock()

	finished := make(chan struct{})
	go func() {
		s.conndone.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		s.forced.Store(true)
		s.mu.Lock()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}
