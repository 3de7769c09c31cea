// Package azuresim is the sandbox's Azure. One loopback HTTPS server speaks
// the Azure Resource Manager JSON protocol for the resources that the
// azure-privatelink route builds: subnets, network interfaces, virtual
// machines, load balancers, Private Link Services and their private
// endpoint connections, and network security groups. Long-running
// operations respond with the Azure-AsyncOperation header that the SDK
// pollers follow. The world persists as JSON in a directory.
//
// The server also implements the provider side of private connectivity
// for the sandbox Snowflake: Connect, ConnectionState, Address and
// Disconnect on Private Link Service resource IDs. Under /vaults/<name>/ it
// serves the Key Vault secrets API for credential references.
package azuresim

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/sandbox/internal/front"
	"github.com/repolink/repolink/shared/sandbox/worldfile"
	"github.com/repolink/repolink/shared/storehealth"
)

// API versions of the front end's polling URLs, the versions that
// armnetwork v6.2.0 and armcompute v6.4.0 send.
const (
	networkAPIVersion = "2024-05-01"
	computeAPIVersion = "2024-11-01"
)

// maxBodyBytes bounds a request body.
const maxBodyBytes = 1 << 20

// SnowflakeSubscription is the subscription of the private endpoints that
// the sandbox Snowflake creates.
const SnowflakeSubscription = "5f0c3a9e-7b1d-4e2a-9c6f-3d8b2a1e4f70"

// Launcher boots what a VM's custom data describes (the proxy VM) on
// loopback.
type Launcher interface {
	// Launch starts the VM for vmID from its custom data, decoded, and
	// returns the loopback host:port where its port 443 is served.
	// Idempotent per vmID.
	Launch(ctx context.Context, vmID, customData string) (addr string, err error)
	// Stop stops the VM for vmID and keeps what it wrote, because the VM
	// still exists for a later process.
	Stop(vmID string) error
	// Remove stops the VM for vmID, if it runs, and deletes what it wrote,
	// such as its config and logs. The server calls it when the VM is
	// deleted, also for a VM that an earlier process launched.
	Remove(vmID string) error
}

// Issuer signs the front end's server certificate, such as the sandbox CA.
type Issuer interface {
	Issue(hosts ...string) (tls.Certificate, error)
}

// Delays are how long resources take to provision. Zero means at once.
type Delays struct {
	// VMRunning is the time from creating a VM to Succeeded.
	VMRunning time.Duration
	// LoadBalancerReady is the time from creating a load balancer to
	// Succeeded.
	LoadBalancerReady time.Duration
}

// Options configures the server.
type Options struct {
	// Dir is the directory of the persisted world. Empty keeps it in
	// memory.
	Dir string
	// CA issues the HTTPS certificate. It is required, because azcore
	// sends bearer tokens only over HTTPS.
	CA Issuer
	// Clock returns the current time. Default time.Now.
	Clock  func() time.Time
	Delays Delays
	// Launcher boots proxy VMs. Nil means VMs serve nothing.
	Launcher Launcher
	// Backend returns the loopback address that stands for a private IP
	// in the virtual network that no sandbox VM has, such as a repository
	// that the request reaches without a proxy. Nil means such addresses
	// serve nothing.
	Backend func(privateIP string) (string, error)
	// PageSize is the page size of list calls. Zero means one page.
	PageSize int
	// Logger receives request and lifecycle logs. Default: discard.
	Logger *slog.Logger
	// StoreHealth, when set, records the outcome of every save of the
	// world, so that a full or read-only state directory is reported with
	// the stores in it. Nil records nothing.
	StoreHealth *storehealth.Monitor
}

// FaultFunc decides whether a request fails: a non-zero status makes the
// server respond with that status and error code.
type FaultFunc func(method, path string) (status int, code string)

// Request is one request that the server received, kept for tests.
type Request struct {
	Method string
	Path   string
	Query  string
	Body   string
}

// maxRecorded bounds the kept requests.
const maxRecorded = 2000

// Server is the sandbox Resource Manager endpoint.
type Server struct {
	opts  Options
	log   *slog.Logger
	front *front.Server
	fault front.Hook[FaultFunc]
	// sealer seals the values of Key Vault secrets in the world.
	sealer *worldfile.Sealer

	mu       sync.Mutex
	world    *World
	requests []Request

	vmMu  sync.Mutex
	addrs map[string]string // lower-case VM ID to the launcher's host:port
}

// Start loads the world from opts.Dir, relaunches the VMs and serves HTTPS
// on a free port of 127.0.0.1.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.CA == nil {
		return nil, errors.New("azuresim: Options.CA is required")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	world, sealer, err := worldfile.OpenDir(opts.Dir, stateFile, (*World).fillMaps, (*World).sealClearSecrets)
	if err != nil {
		return nil, fmt.Errorf("azuresim: %w", err)
	}
	cert, err := opts.CA.Issue("127.0.0.1", "localhost")
	if err != nil {
		return nil, fmt.Errorf("azuresim: issue certificate: %w", err)
	}

	s := &Server{opts: opts, log: opts.Logger, world: world, sealer: sealer, addrs: map[string]string{}}
	s.relaunch(ctx)

	s.front, err = front.Start(front.Config{
		Name:    "azuresim",
		Logger:  s.log,
		Handler: s,
		TLS:     &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	})
	if err != nil {
		s.stopVMs()
		return nil, fmt.Errorf("azuresim: %w", err)
	}
	s.log.Info("azuresim started", "url", s.URL(), "dir", opts.Dir)
	return s, nil
}

// URL returns the Resource Manager base URL, such as
// "https://127.0.0.1:40123".
func (s *Server) URL() string {
	return s.front.URL()
}

// Close stops serving and stops the VMs this process launched. The world
// stays on disk.
func (s *Server) Close() error {
	err := s.front.Close()
	s.stopVMs()
	s.log.Info("azuresim stopped", "url", s.URL())
	return err
}

// SetFault installs fn to decide, per request, whether to fail it. Nil
// removes the hook.
func (s *Server) SetFault(fn FaultFunc) {
	s.fault.Set(fn)
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) now() time.Time { return s.opts.Clock().UTC() }

// apiError is an error response in Resource Manager's shape.
type apiError struct {
	status  int
	code    string
	message string
	// target is the request property at fault, such as vmSize, which
	// Resource Manager sends for some InvalidParameter errors.
	target string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func notFound(kind, id string) *apiError {
	return errorf(http.StatusNotFound, "ResourceNotFound", "The %s '%s' was not found.", kind, id)
}

// ServeHTTP checks the bearer token and the api-version, records the
// request and routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil || len(body) > maxBodyBytes {
		s.writeError(w, r, errorf(http.StatusBadRequest, "InvalidRequestFormat", "request body unreadable or larger than %d bytes", maxBodyBytes))
		return
	}
	s.record(r, body)
	if strings.HasPrefix(r.URL.Path, vaultPathPrefix) {
		s.serveVault(w, r)
		return
	}

	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); !ok || strings.TrimSpace(token) == "" {
		s.writeError(w, r, errorf(http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing a bearer token."))
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		s.writeError(w, r, errorf(http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests."))
		return
	}
	if fault := s.fault.Load(); fault != nil {
		if status, code := fault(r.Method, r.URL.Path); status != 0 {
			s.writeError(w, r, errorf(status, code, "injected fault for %s %s", r.Method, r.URL.Path))
			return
		}
	}

	resp, err := s.route(r, body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Debug("azuresim call", "method", r.Method, "path", r.URL.Path, "status", resp.status)
	for k, v := range resp.headers {
		w.Header().Set(k, v)
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(resp.status)
	_ = json.NewEncoder(w).Encode(resp.body)
}

func (s *Server) record(r *http.Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= maxRecorded {
		s.requests = s.requests[1:]
	}
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)})
}

// response is a handler's successful result.
type response struct {
	status  int
	headers map[string]string
	body    any
}

func ok(body any) *response { return &response{status: http.StatusOK, body: body} }

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var apiErr *apiError
	if !errors.As(err, &apiErr) {
		apiErr = errorf(http.StatusInternalServerError, "InternalServerError", "%v", err)
	}
	switch {
	case apiErr.status >= 500:
		s.log.Warn("azuresim call failed", "method", r.Method, "path", r.URL.Path, "error", err)
	default:
		// A lookup of a missing resource is part of normal find-then-create
		// traffic.
		s.log.Info("azuresim call rejected", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-error-code", apiErr.code)
	w.WriteHeader(apiErr.status)
	body := map[string]string{"code": apiErr.code, "message": apiErr.message}
	if apiErr.target != "" {
		body["target"] = apiErr.target
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": body})
}
