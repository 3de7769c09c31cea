package vm

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/proxy"
)

// helloTimeout bounds the wait for a client's ClientHello, like the
// preread_timeout of the nginx config.
const helloTimeout = 10 * time.Second

// passthrough is the Go stand-in for the nginx stream server: it reads the
// server name from the ClientHello, and for an allowed name dials the
// upstream, replays the bytes read so far and copies in both directions.
type passthrough struct {
	cfg     proxy.Config
	allowed map[string]bool
	logger  *slog.Logger

	ln     net.Listener
	health *http.Server

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func (l *Launcher) startPassthrough(instanceID string, cfg proxy.Config) (*running, error) {
	p := &passthrough{
		cfg:     cfg.WithDefaults(),
		allowed: map[string]bool{},
		logger:  l.logger.With("instance_id", instanceID),
		conns:   map[net.Conn]struct{}{},
	}
	for _, h := range cfg.Hosts {
		p.allowed[strings.ToLower(h)] = true
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for proxy: %w", err)
	}
	healthLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("listen for health checks: %w", err)
	}
	p.ln = ln
	p.health = &http.Server{Handler: http.HandlerFunc(p.serveHealth)}
	p.cfg.Listen = ln.Addr().(*net.TCPAddr).Port
	p.cfg.HealthPort = healthLn.Addr().(*net.TCPAddr).Port

	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		p.acceptLoop()
	}()
	go func() {
		defer p.wg.Done()
		if err := p.health.Serve(healthLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.logger.Error("proxy health server stopped", "error", err)
		}
	}()

	return &running{
		info: Instance{ID: instanceID, Addr: ln.Addr().String(), HealthAddr: healthLn.Addr().String(),
			Kind: KindGo, Config: p.cfg},
		stop: p.close,
	}, nil
}

func (p *passthrough) acceptLoop() {
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.logger.Error("proxy accept failed", "error", err)
			}
			return
		}
		if !p.track(conn) {
			conn.Close()
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(conn)
			p.serve(conn)
		}()
	}
}

// serve handles one client connection and logs it like the nginx access
// log: server name, verdict, upstream and byte counts.
func (p *passthrough) serve(client net.Conn) {
	defer client.Close()
	start := time.Now()

	client.SetReadDeadline(start.Add(helloTimeout))
	sni, hello, err := readServerName(client)
	client.SetReadDeadline(time.Time{})
	if err != nil {
		p.logger.Warn("proxy connection rejected", "remote_addr", client.RemoteAddr().String(),
			"sni", "", "allowed", false, "error", err)
		return
	}
	if !p.allowed[strings.ToLower(sni)] {
		p.logger.Warn("proxy connection rejected", "remote_addr", client.RemoteAddr().String(),
			"sni", sni, "allowed", false)
		return
	}

	upstream, err := net.DialTimeout("tcp", p.cfg.Upstream, p.cfg.ConnectTimeout)
	if err != nil {
		p.logger.Error("proxy upstream connect failed", "sni", sni, "upstream", p.cfg.Upstream, "error", err)
		return
	}
	if !p.track(upstream) {
		upstream.Close()
		return
	}
	defer p.untrack(upstream)
	defer upstream.Close()

	if _, err := upstream.Write(hello); err != nil {
		p.logger.Error("proxy upstream write failed", "sni", sni, "upstream", p.cfg.Upstream, "error", err)
		return
	}
	sent, received := p.splice(client, upstream)
	p.logger.Info("proxy connection", "remote_addr", client.RemoteAddr().String(), "sni", sni,
		"allowed", true, "upstream", upstream.RemoteAddr().String(),
		"sent", sent, "received", received+int64(len(hello)),
		"duration", time.Since(start).Round(time.Millisecond).String())
}

// splice copies in both directions until both sides finish, and returns
// the bytes sent to the client and received from it after the ClientHello.
func (p *passthrough) splice(client, upstream net.Conn) (sent, received int64) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		received = p.copyIdle(upstream, client)
		closeWrite(upstream)
	}()
	sent = p.copyIdle(client, upstream)
	closeWrite(client)
	wg.Wait()
	return sent, received
}

// copyIdle copies src to dst and stops when src stays silent for the
// configured timeout.
func (p *passthrough) copyIdle(dst, src net.Conn) int64 {
	buf := make([]byte, 32<<10)
	var total int64
	for {
		src.SetReadDeadline(time.Now().Add(p.cfg.Timeout))
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return total
			}
			total += int64(n)
		}
		if err != nil {
			return total
		}
	}
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
		return
	}
	c.Close()
}

// serveHealth mirrors the health server of the nginx config.
func (p *passthrough) serveHealth(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		fmt.Fprintln(w, "ok")
	case "/upstream":
		conn, err := net.DialTimeout("tcp", p.cfg.Upstream, p.cfg.ConnectTimeout)
		if err != nil {
			http.Error(w, "upstream unreachable", http.StatusBadGateway)
			return
		}
		conn.Close()
		fmt.Fprintln(w, "ok")
	default:
		http.NotFound(w, r)
	}
}

func (p *passthrough) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *passthrough) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

// close stops accepting, closes every open connection and waits for the
// goroutines to end.
func (p *passthrough) close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()

	err := p.ln.Close()
	if herr := p.health.Close(); herr != nil && err == nil {
		err = herr
	}
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// errHelloRead stops the TLS handshake once the ClientHello is parsed.
var errHelloRead = errors.New("client hello read")

// readServerName reads the ClientHello from conn and returns its server
// name and every byte read, for replay to the upstream. It lets crypto/tls
// parse the message and aborts the handshake before anything is written.
func readServerName(conn net.Conn) (string, []byte, error) {
	rec := &recordingConn{Conn: conn}
	var sni string
	var sawHello bool
	srv := tls.Server(rec, &tls.Config{
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			sni, sawHello = hello.ServerName, true
			return nil, errHelloRead
		},
	})
	err := srv.HandshakeContext(context.Background())
	if !sawHello {
		return "", nil, fmt.Errorf("read TLS ClientHello: %w", err)
	}
	if sni == "" {
		return "", nil, errors.New("ClientHello has no server name")
	}
	return sni, rec.buf.Bytes(), nil
}

// recordingConn keeps every byte read and discards writes, so that the
// TLS server can parse a ClientHello without replying to it.
type recordingConn struct {
	net.Conn
	buf bytes.Buffer
}

func (c *recordingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.buf.Write(b[:n])
	return n, err
}

func (c *recordingConn) Write(b []byte) (int, error) {
	return 0, io.ErrClosedPipe
}
