// Package front runs the HTTP server of a sandbox cloud front end. The
// server listens on a free port of 127.0.0.1 and serves until Close, which
// waits a bounded time for the requests in flight.
package front

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// shutdownTimeout bounds how long Close waits for requests in flight.
const shutdownTimeout = 5 * time.Second

// readHeaderTimeout bounds how long a client may take to send the request
// headers.
const readHeaderTimeout = 10 * time.Second

// Config describes the server that Start runs.
type Config struct {
	// Name starts the message logged when serving stops with an error,
	// such as "awssim" in "awssim server stopped".
	Name string
	// Logger receives that message. Required.
	Logger  *slog.Logger
	Handler http.Handler
	// TLS, when set, makes the server serve HTTPS and send the errors that
	// net/http logs itself, such as failed TLS handshakes, to Logger at
	// debug level. Nil serves plain HTTP.
	TLS *tls.Config
}

// Server is the running HTTP server of one front end.
type Server struct {
	scheme   string
	listener net.Listener
	http     *http.Server
	done     chan struct{}
}

// Start listens on a free port of 127.0.0.1 and serves cfg.Handler there
// in a new goroutine.
func Start(cfg Config) (*Server, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{
		scheme:   "http",
		listener: listener,
		http:     &http.Server{Handler: cfg.Handler, ReadHeaderTimeout: readHeaderTimeout},
		done:     make(chan struct{}),
	}
	if cfg.TLS != nil {
		s.scheme = "https"
		s.http.TLSConfig = cfg.TLS
		s.http.ErrorLog = slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)
	}

	go func() {
		defer close(s.done)
		err := s.serve()
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logger.Error(cfg.Name+" server stopped", "error", err)
		}
	}()
	return s, nil
}

func (s *Server) serve() error {
	if s.http.TLSConfig != nil {
		return s.http.ServeTLS(s.listener, "", "")
	}
	return s.http.Serve(s.listener)
}

// URL returns the base URL, such as "http://127.0.0.1:40123", with no
// trailing slash. It stays valid after Close.
func (s *Server) URL() string {
	return s.scheme + "://" + s.listener.Addr().String()
}

// Close stops accepting connections and waits up to 5 seconds for the
// requests in flight. It returns the error of http.Server.Shutdown, such
// as context.DeadlineExceeded when requests outlast the wait.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(ctx)
	<-s.done
	return err
}

// Hook is a function slot, such as a fault hook, that one goroutine may
// replace while others read it. The zero Hook holds the zero F, a nil
// function.
type Hook[F any] struct {
	mu sync.Mutex
	fn F
}

// Set replaces the function.
func (h *Hook[F]) Set(fn F) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fn = fn
}

// Load returns the current function.
func (h *Hook[F]) Load() F {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fn
}
