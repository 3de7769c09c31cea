// Package awssim is the sandbox's AWS. One loopback HTTP server speaks the
// EC2 and ELBv2 query protocols, the Secrets Manager JSON protocol, Systems
// Manager's GetParameters for the public image parameters, and
// CodeArtifact's GetAuthorizationToken (REST-JSON) over a persisted world
// model. The real SDK clients work against it with an
// endpoint override and dummy credentials.
//
// The server also implements the provider side of PrivateLink for the
// sandbox Snowflake: Connect, ConnectionState, Address and Disconnect.
package awssim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/internal/front"
	"github.com/repolink/repolink/shared/sandbox/worldfile"
	"github.com/repolink/repolink/shared/storehealth"
)

// SigV4 signing names, used as the service argument of a fault hook.
const (
	ServiceEC2            = "ec2"
	ServiceELBv2          = "elasticloadbalancing"
	ServiceSecretsManager = "secretsmanager"
)

// API versions that tell the query-protocol services apart.
const (
	ec2Version   = "2016-11-15"
	elbv2Version = "2015-12-01"
)

// maxBodyBytes bounds a request body. EC2 user data alone may be 16 KiB
// before base64.
const maxBodyBytes = 1 << 20

// Launcher boots what an instance's user data describes (the proxy VM) on
// loopback.
type Launcher interface {
	// Launch starts the VM for instanceID from its user data and returns the
	// loopback host:port where its port 443 is served. Idempotent per
	// instanceID.
	Launch(ctx context.Context, instanceID, userData string) (addr string, err error)
	// Stop stops the VM for instanceID and keeps what it wrote, because
	// the instance still exists for a later process.
	Stop(instanceID string) error
	// Remove stops the VM for instanceID, if it runs, and deletes what it
	// wrote, such as its config and logs. The server calls it when the
	// instance terminates, also for a VM that an earlier process launched.
	Remove(instanceID string) error
}

// Delays are how long the world takes to move from one state to the next.
// Zero means at once.
type Delays struct {
	// InstanceRunning is the time from RunInstances to running.
	InstanceRunning time.Duration
	// LoadBalancerActive is the time from CreateLoadBalancer to active.
	LoadBalancerActive time.Duration
	// TargetHealthy is the time from registration (or the instance
	// running, whichever is later) to the first health check.
	TargetHealthy time.Duration
	// ConnectionAvailable is the time from accepting a connection to
	// available.
	ConnectionAvailable time.Duration
	// Visibility is how long a new resource stays out of describe calls
	// that filter or look up by name, as with AWS's eventual consistency.
	Visibility time.Duration
}

// Options configures the server.
type Options struct {
	// Dir is where the world is persisted. Empty keeps it in memory.
	Dir string
	// Region is the region of unsigned calls and of the secrets that
	// PutSecret seeds by name. Default "us-west-2".
	Region string
	// AccountID is the 12-digit account in ARNs. Default "123456789012".
	AccountID string
	// Clock returns the current time. Default time.Now.
	Clock  func() time.Time
	Delays Delays
	// Launcher boots proxy VMs. Nil means instances serve nothing.
	Launcher Launcher
	// ResolveIP returns the loopback host:port that stands for ip:port
	// inside the VPC, for the targets of target groups of type ip. Nil means
	// IP targets serve nothing.
	ResolveIP func(ip string, port int) (string, error)
	// PageSize is the page size of describe calls without MaxResults.
	// Zero means one page with everything.
	PageSize int
	// Logger receives request and lifecycle logs. Default: discard.
	Logger *slog.Logger
	// TokenIssued, when set, receives every CodeArtifact authorization
	// token that the server returns.
	TokenIssued TokenIssued
	// StoreHealth, when set, records the outcome of every save of the
	// world, so that a full or read-only state directory is reported with
	// the stores in it. Nil records nothing.
	StoreHealth *storehealth.Monitor
}

// FaultFunc decides whether a call fails: a non-zero status makes the
// server answer action of service with that HTTP status and error code.
type FaultFunc func(service, action string) (status int, code string)

// Server is the sandbox AWS endpoint.
type Server struct {
	opts  Options
	log   *slog.Logger
	front *front.Server
	fault front.Hook[FaultFunc]
	// sealer seals the values of secrets in the world.
	sealer *worldfile.Sealer

	mu    sync.Mutex
	world *World

	vmMu  sync.Mutex
	addrs map[string]string // instance ID to the launcher's host:port
}

// Start loads the world from opts.Dir, relaunches the VMs of live instances
// and serves on a free port of 127.0.0.1.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Region == "" {
		opts.Region = "us-west-2"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	world, sealer, err := worldfile.OpenDir(opts.Dir, stateFile, (*World).fillMaps, (*World).sealClearSecrets)
	if err != nil {
		return nil, fmt.Errorf("awssim: %w", err)
	}
	s := &Server{
		opts:   opts,
		log:    opts.Logger,
		world:  world,
		sealer: sealer,
		addrs:  map[string]string{},
	}
	s.relaunch(ctx)

	s.front, err = front.Start(front.Config{Name: "awssim", Logger: s.log, Handler: s})
	if err != nil {
		s.stopVMs()
		return nil, fmt.Errorf("awssim: %w", err)
	}
	s.log.Info("awssim started", "url", s.URL(), "region", opts.Region, "dir", opts.Dir)
	return s, nil
}

// URL returns the base endpoint, such as "http://127.0.0.1:40123".
func (s *Server) URL() string {
	return s.front.URL()
}

// Close stops serving and stops the VMs this process launched. The world
// stays on disk, so a later Start sees it again.
func (s *Server) Close() error {
	err := s.front.Close()
	s.stopVMs()
	s.log.Info("awssim stopped", "url", s.URL())
	return err
}

// SetFault installs fn to decide, per call, whether to fail it. Nil removes
// the hook.
func (s *Server) SetFault(fn FaultFunc) {
	s.fault.Set(fn)
}

// now returns the current time of the injected clock.
func (s *Server) now() time.Time { return s.opts.Clock().UTC() }

// apiError is an error response in the protocol's shape.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// ServeHTTP routes a request to EC2, ELBv2, Secrets Manager, Systems Manager
// or CodeArtifact.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", requestID)

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil || len(body) > maxBodyBytes {
		writeQueryError(w, ServiceEC2, requestID, errorf(http.StatusBadRequest, "InvalidRequest", "request body unreadable or larger than %d bytes", maxBodyBytes))
		return
	}

	if r.URL.Path == codeArtifactTokenPath {
		s.serveCodeArtifact(w, r, requestID)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		if action, ok := strings.CutPrefix(target, ssmTargetPrefix); ok {
			s.serveSSM(w, r, requestID, action, body)
			return
		}
		action, ok := strings.CutPrefix(target, "secretsmanager.")
		if !ok {
			writeJSONError(w, errorf(http.StatusBadRequest, "UnknownOperationException", "unknown target %q", target))
			return
		}
		s.serveSecrets(w, r, requestID, action, body)
		return
	}

	form, err := url.ParseQuery(string(body))
	if err != nil || r.Method != http.MethodPost {
		writeQueryError(w, ServiceEC2, requestID, errorf(http.StatusBadRequest, "MalformedQueryString", "want a POST with a form body"))
		return
	}
	action := form.Get("Action")
	switch form.Get("Version") {
	case ec2Version:
		s.serveQuery(w, r, requestID, ServiceEC2, action, form, s.ec2Action)
	case elbv2Version:
		s.serveQuery(w, r, requestID, ServiceELBv2, action, form, s.elbAction)
	default:
		writeQueryError(w, ServiceEC2, requestID, errorf(http.StatusBadRequest, "InvalidParameterValue",
			"unsupported Version %q: want %s (EC2) or %s (ELBv2)", form.Get("Version"), ec2Version, elbv2Version))
	}
}

// queryHandler runs one query-protocol action and returns the response body
// to encode.
type queryHandler func(ctx context.Context, action string, form url.Values) (any, error)

func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, requestID, service, action string, form url.Values, handle queryHandler) {
	if err := s.precheck(r, service, action); err != nil {
		s.logCall(service, action, requestID, err)
		writeQueryError(w, service, requestID, err)
		return
	}
	out, err := handle(s.withCallRegion(r.Context(), r), action, form)
	s.logCall(service, action, requestID, err)
	if err != nil {
		writeQueryError(w, service, requestID, err)
		return
	}
	if service == ServiceEC2 {
		writeEC2(w, action, requestID, out)
		return
	}
	writeELB(w, action, requestID, out)
}

// precheck rejects unsigned requests and applies the fault hook.
func (s *Server) precheck(r *http.Request, service, action string) *apiError {
	if err := checkSigV4(r, service); err != nil {
		return err
	}
	if region := s.signedRegion(r); !request.IsKnownAWSRegion(region) {
		return unknownRegion(region)
	}
	fault := s.fault.Load()
	if fault == nil {
		return nil
	}
	if status, code := fault(service, action); status != 0 {
		return errorf(status, code, "injected fault for %s %s", service, action)
	}
	return nil
}

// checkSigV4 checks that r carries a SigV4 Authorization header scoped to
// service. It accepts any credentials and does not verify the signature.
func checkSigV4(r *http.Request, service string) *apiError {
	auth := r.Header.Get("Authorization")
	code := "MissingAuthenticationToken"
	if service == ServiceSecretsManager {
		code = "MissingAuthenticationTokenException"
	}
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok || r.Header.Get("X-Amz-Date") == "" {
		return errorf(http.StatusForbidden, code, "request must be signed with AWS Signature Version 4")
	}

	var scope string
	for _, part := range strings.Split(rest, ",") {
		if credential, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
			scope = credential
		}
	}
	// Credential=<key id>/<date>/<region>/<service>/aws4_request
	fields := strings.Split(scope, "/")
	if len(fields) != 5 || fields[4] != "aws4_request" || !strings.Contains(rest, "Signature=") {
		return errorf(http.StatusForbidden, "IncompleteSignature", "malformed SigV4 Authorization header")
	}
	if fields[3] != service {
		return errorf(http.StatusForbidden, "SignatureDoesNotMatch",
			"credential scope names service %q, want %q", fields[3], service)
	}
	return nil
}

func (s *Server) logCall(service, action, requestID string, err error) {
	switch {
	case err == nil:
		s.log.Debug("awssim call", "service", service, "action", action, "request_id", requestID)
	case asAPIError(err).status >= 500:
		s.log.Warn("awssim call failed", "service", service, "action", action, "request_id", requestID, "error", err)
	default:
		// Client errors such as a lookup of a missing name are part of
		// normal find-then-create traffic.
		s.log.Info("awssim call rejected", "service", service, "action", action, "request_id", requestID, "error", err)
	}
}

// Counts returns the number of stored resources per kind: instances,
// target_groups, load_balancers, listeners, endpoint_services,
// endpoint_connections and secrets. Terminated instances are counted.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]int{
		"instances":            len(s.world.Instances),
		"target_groups":        len(s.world.TargetGroups),
		"load_balancers":       len(s.world.LoadBalancers),
		"listeners":            len(s.world.Listeners),
		"endpoint_services":    len(s.world.EndpointServices),
		"endpoint_connections": len(s.world.Connections),
		"secrets":              len(s.world.Secrets),
	}
}

// Snapshot returns a deep copy of the world with the State fields computed
// for the current time. Secret values are left out.
func (s *Server) Snapshot() World {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, err := copyWorld(s.world)
	if err != nil {
		// The world is plain data that encodes and decodes without error.
		panic(fmt.Sprintf("awssim: copy world: %v", err))
	}
	now := s.now()
	for _, inst := range out.Instances {
		inst.State = s.instanceState(inst, now)
	}
	for _, lb := range out.LoadBalancers {
		lb.State = s.loadBalancerState(lb, now)
	}
	for _, conn := range out.Connections {
		conn.State = s.connectionState(conn, now)
	}
	for _, secret := range out.Secrets {
		secret.Value = ""
	}
	return *out
}

// commit persists the world. The file contains secret values, so only its
// owner may read it. Callers hold s.mu.
func (s *Server) commit() error {
	if err := worldfile.SaveReported(s.opts.Dir, stateFile, s.world, s.opts.StoreHealth, s.log); err != nil {
		return errorf(http.StatusInternalServerError, "InternalError", "save world: %v", err)
	}
	return nil
}
