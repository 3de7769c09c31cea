// Package gcpsim is the sandbox's Google Cloud. One loopback HTTP server
// speaks the Compute Engine REST protocol (the /compute/v1/ paths that
// cloud.google.com/go/compute/apiv1 sends), the Secret Manager call that
// reads a secret version, and the Firestore documents calls get, list,
// createDocument, patch and delete, over a persisted world model.
// The real client works against it with an endpoint override and
// option.WithoutAuthentication. Every insert, patch and addInstances call
// returns a zonal, regional or global Operation that completes after a
// configurable delay on the injected clock.
//
// The server also implements the producer side of Private Service Connect
// for the sandbox Snowflake: Connect, ConnectionState, Address and
// Disconnect, keyed by service attachment path
// (projects/p/regions/r/serviceAttachments/n).
package gcpsim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/sandbox/awssim"
	"github.com/repolink/repolink/shared/sandbox/internal/front"
	"github.com/repolink/repolink/shared/sandbox/worldfile"
	"github.com/repolink/repolink/shared/storehealth"
)

// apiPrefix is the path prefix of every Compute Engine call.
const apiPrefix = "/compute/v1/projects/"

// linkBase is the host part of the self links that Compute Engine returns.
// Clients use self links as references and never connect to them.
const linkBase = "https://www.googleapis.com/compute/v1/"

// maxBodyBytes bounds a request body; a startup script may be 256 KiB.
const maxBodyBytes = 1 << 20

// Launcher boots the proxy VM that an instance's startup script describes.
// It is the launcher that the sandbox AWS uses.
type Launcher = awssim.Launcher

// Delays are how long the world takes to move from one state to the next.
// Zero means at once.
type Delays struct {
	// Operation is the time from an insert, patch or addInstances call
	// until its operation is DONE.
	Operation time.Duration
	// InstanceRunning is the time from an instance insert to RUNNING.
	InstanceRunning time.Duration
	// BackendHealthy is the time from the latest of the instance running,
	// its group membership and the backend service creation until health
	// checks decide its health.
	BackendHealthy time.Duration
	// ConnectionAccepted is the time from a connection's acceptance until
	// its status reads ACCEPTED.
	ConnectionAccepted time.Duration
}

// Options configures the server.
type Options struct {
	// Dir is the directory of the persisted world. Empty keeps it in
	// memory.
	Dir string
	// Clock returns the current time. Default time.Now.
	Clock  func() time.Time
	Delays Delays
	// Launcher boots proxy VMs from their startup-script metadata. Nil
	// means instances serve nothing.
	Launcher Launcher
	// ResolveTarget returns the loopback host:port that serves port 443 of
	// a seeded VM with the internal address ip. Nil means seeded VMs serve
	// nothing.
	ResolveTarget func(ip string) (string, error)
	// ConsumerProject and ConsumerNetwork are the project and VPC network
	// of the consumer endpoints that Connect creates. Defaults
	// "sf-sandbox-psc" and "snowflake".
	ConsumerProject string
	ConsumerNetwork string
	// PageSize is the page size of Compute Engine list calls without
	// maxResults, and the largest page of a Firestore documents.list call.
	// Zero means 500, the Compute Engine default.
	PageSize int
	// Logger receives request and lifecycle logs. Default: discard.
	Logger *slog.Logger
	// StoreHealth, when set, records the outcome of every save of the
	// world, so that a full or read-only state directory is reported with
	// the stores in it. Nil records nothing.
	StoreHealth *storehealth.Monitor
}

// Fault describes an injected failure. Status is the HTTP status; Reason
// is the legacy error reason such as "rateLimitExceeded". With InOperation
// set the call itself succeeds and its operation ends DONE with the error.
type Fault struct {
	Status      int
	Reason      string
	InOperation bool
}

// FaultFunc decides whether a call fails. method is the HTTP method and
// collection the last collection in the path, such as "instances",
// "serviceAttachments" or "addInstances", or "documents" for every Firestore
// call. A zero Fault lets the call through. On a Firestore call, Reason is
// the google.rpc.Code name such as "ABORTED", derived from Status when
// empty.
type FaultFunc func(method, collection string) Fault

// Server is the sandbox Compute Engine endpoint.
type Server struct {
	opts  Options
	log   *slog.Logger
	front *front.Server
	fault front.Hook[FaultFunc]
	// sealer seals the values of Secret Manager secrets in the world.
	sealer *worldfile.Sealer

	mu    sync.Mutex
	world *World

	vmMu  sync.Mutex
	addrs map[string]string // launcher key to host:port
}

// Start loads the world from opts.Dir, relaunches the VMs of live instances
// and serves on a free port of 127.0.0.1.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ConsumerProject == "" {
		opts.ConsumerProject = "sf-sandbox-psc"
	}
	if opts.ConsumerNetwork == "" {
		opts.ConsumerNetwork = "snowflake"
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 500
	}
	world, sealer, err := worldfile.OpenDir(opts.Dir, stateFile, (*World).fillMaps, (*World).sealClearSecrets)
	if err != nil {
		return nil, fmt.Errorf("gcpsim: %w", err)
	}
	s := &Server{opts: opts, log: opts.Logger, world: world, sealer: sealer, addrs: map[string]string{}}
	s.relaunch(ctx)

	s.front, err = front.Start(front.Config{Name: "gcpsim", Logger: s.log, Handler: s})
	if err != nil {
		s.stopVMs()
		return nil, fmt.Errorf("gcpsim: %w", err)
	}
	s.log.Info("gcpsim started", "url", s.URL(), "dir", opts.Dir)
	return s, nil
}

// URL returns the endpoint for option.WithEndpoint, such as
// "http://127.0.0.1:40123", with no trailing slash.
func (s *Server) URL() string {
	return s.front.URL()
}

// Close stops serving and stops the VMs this process launched. The world
// stays on disk, so a later Start loads it again.
func (s *Server) Close() error {
	err := s.front.Close()
	s.stopVMs()
	s.log.Info("gcpsim stopped", "url", s.URL())
	return err
}

// SetFault installs fn to decide, per call, whether to fail it. Nil removes
// the hook.
func (s *Server) SetFault(fn FaultFunc) {
	s.fault.Set(fn)
}

func (s *Server) now() time.Time { return s.opts.Clock().UTC() }

// commit persists the world. Callers hold s.mu.
func (s *Server) commit() *apiError {
	if err := worldfile.SaveReported(s.opts.Dir, stateFile, s.world, s.opts.StoreHealth, s.log); err != nil {
		return errorf(http.StatusInternalServerError, "internalError", "save world: %v", err)
	}
	return nil
}

// apiError is an error response in Compute Engine's legacy shape, with a
// reason such as notFound, alreadyExists, invalid or conditionNotMet.
type apiError struct {
	status  int
	reason  string
	message string
}

func (e *apiError) Error() string { return e.reason + ": " + e.message }

func errorf(status int, reason, format string, args ...any) *apiError {
	return &apiError{status: status, reason: reason, message: fmt.Sprintf(format, args...)}
}

func notFound(path string) *apiError {
	return errorf(http.StatusNotFound, "notFound", "The resource '%s' was not found", path)
}

func invalid(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "invalid", format, args...)
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"error": map[string]any{
		"code":    e.status,
		"message": e.message,
		"errors":  []map[string]string{{"message": e.message, "domain": "global", "reason": e.reason}},
	}}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// call is one parsed request: /compute/v1/projects/<project>/<scope>/<collection>[/<name>[/<verb>]].
type call struct {
	method     string
	project    string
	scope      string // zones/<z>, regions/<r> or global
	collection string
	name       string
	verb       string
	query      map[string][]string
	body       []byte
}

// parseCall splits a request path into its parts.
func parseCall(r *http.Request, body []byte) (call, bool) {
	rest, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
	if !ok {
		return call{}, false
	}
	parts := strings.Split(rest, "/")
	c := call{method: r.Method, project: parts[0], query: r.URL.Query(), body: body}
	parts = parts[1:]
	switch {
	case len(parts) >= 1 && len(parts) <= 2 && (parts[0] == "zones" || parts[0] == "regions"):
		// Regions and zones themselves, which are global to the project:
		// projects/<project>/regions[/<region>].
		c.scope = "global"
	case len(parts) >= 2 && (parts[0] == "zones" || parts[0] == "regions"):
		c.scope = parts[0] + "/" + parts[1]
		parts = parts[2:]
	case len(parts) >= 1 && parts[0] == "global":
		c.scope = "global"
		parts = parts[1:]
	default:
		return call{}, false
	}
	if len(parts) == 0 || len(parts) > 3 || c.project == "" {
		return call{}, false
	}
	c.collection = parts[0]
	if len(parts) > 1 {
		c.name = parts[1]
	}
	if len(parts) > 2 {
		c.verb = parts[2]
	}
	return c, true
}

// path returns the resource path of the call's named resource.
func (c call) path() string {
	return "projects/" + c.project + "/" + c.scope + "/" + c.collection + "/" + c.name
}

// zone returns the zone of a zonal call, or "".
func (c call) zone() string {
	z, _ := strings.CutPrefix(c.scope, "zones/")
	if z == c.scope {
		return ""
	}
	return z
}

// region returns the region of a regional call, or "".
func (c call) region() string {
	r, _ := strings.CutPrefix(c.scope, "regions/")
	if r == c.scope {
		return ""
	}
	return r
}

// ServeHTTP routes a Compute Engine call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil || len(body) > maxBodyBytes {
		writeError(w, invalid("request body unreadable or larger than %d bytes", maxBodyBytes))
		return
	}
	if isFirestorePath(r.URL.Path) {
		s.serveFirestore(w, r, body)
		return
	}
	if strings.HasPrefix(r.URL.Path, secretsPrefix) {
		s.serveSecret(w, r)
		return
	}
	c, ok := parseCall(r, body)
	if !ok {
		writeError(w, notFound(r.URL.Path))
		return
	}
	collection := c.collection
	if c.verb != "" {
		collection = c.verb
	}

	fault := s.fault.Load()
	var injected Fault
	if fault != nil {
		injected = fault(c.method, collection)
	}
	if injected.Status != 0 && !injected.InOperation {
		e := errorf(injected.Status, injected.Reason, "injected fault for %s %s", c.method, collection)
		s.logCall(c, e)
		writeError(w, e)
		return
	}

	out, apiErr := s.route(r.Context(), c)
	if apiErr == nil && injected.Status != 0 {
		if op, ok := out.(*Operation); ok {
			s.failOperation(op, injected)
		}
	}
	s.logCall(c, apiErr)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if op, ok := out.(*Operation); ok {
		s.mu.Lock()
		out = s.renderOperation(op, s.now())
		s.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) logCall(c call, err *apiError) {
	attrs := []any{"method", c.method, "project", c.project, "scope", c.scope, "collection", c.collection, "name", c.name, "verb", c.verb}
	switch {
	case err == nil:
		s.log.Debug("gcpsim call", attrs...)
	case err.status >= 500:
		s.log.Warn("gcpsim call failed", append(attrs, "error", err)...)
	default:
		// A lookup of a missing name is part of normal find-then-create
		// traffic.
		s.log.Info("gcpsim call rejected", append(attrs, "error", err)...)
	}
}

// route dispatches a call to its handler.
func (s *Server) route(ctx context.Context, c call) (any, *apiError) {
	type key struct{ scope, collection, verb, method string }
	scope := strings.SplitN(c.scope, "/", 2)[0]
	item := c.method
	if c.name == "" {
		item = "list:" + c.method
	}
	switch (key{scope, c.collection, c.verb, item}) {
	case key{"zones", "operations", "", http.MethodGet}, key{"regions", "operations", "", http.MethodGet}, key{"global", "operations", "", http.MethodGet},
		key{"zones", "operations", "wait", http.MethodPost}, key{"regions", "operations", "wait", http.MethodPost}, key{"global", "operations", "wait", http.MethodPost}:
		return s.getOperation(c)

	case key{"global", "regions", "", http.MethodGet}:
		return s.getRegion(c)
	case key{"global", "regions", "", "list:" + http.MethodGet}:
		return s.listRegions(c)
	case key{"global", "zones", "", http.MethodGet}:
		return s.getZone(c)
	case key{"global", "zones", "", "list:" + http.MethodGet}:
		return s.listZones(c)

	case key{"global", "networks", "", http.MethodGet}:
		return s.getNetwork(c)
	case key{"regions", "subnetworks", "", "list:" + http.MethodPost}:
		return s.insertSubnetwork(c)
	case key{"regions", "subnetworks", "", http.MethodGet}:
		return s.getSubnetwork(c)

	case key{"zones", "machineTypes", "", http.MethodGet}:
		return s.getMachineType(c)
	case key{"zones", "machineTypes", "", "list:" + http.MethodGet}:
		return s.listMachineTypes(c)

	case key{"zones", "instances", "", "list:" + http.MethodPost}:
		return s.insertInstance(ctx, c)
	case key{"zones", "instances", "", "list:" + http.MethodGet}:
		return s.listInstances(c)
	case key{"zones", "instances", "", http.MethodGet}:
		return s.getInstance(c)
	case key{"zones", "instances", "", http.MethodDelete}:
		return s.deleteInstance(c)

	case key{"zones", "instanceGroups", "", "list:" + http.MethodPost}:
		return s.insertInstanceGroup(c)
	case key{"zones", "instanceGroups", "", "list:" + http.MethodGet}:
		return s.listInstanceGroups(c)
	case key{"zones", "instanceGroups", "", http.MethodGet}:
		return s.getInstanceGroup(c)
	case key{"zones", "instanceGroups", "addInstances", http.MethodPost}:
		return s.addInstances(c)
	case key{"zones", "instanceGroups", "listInstances", http.MethodPost}:
		return s.listGroupInstances(c)

	case key{"regions", "healthChecks", "", "list:" + http.MethodPost}:
		return s.insertHealthCheck(c)
	case key{"regions", "healthChecks", "", http.MethodGet}:
		return s.getHealthCheck(c)

	case key{"global", "firewalls", "", "list:" + http.MethodPost}:
		return s.insertFirewall(c)
	case key{"global", "firewalls", "", "list:" + http.MethodGet}:
		return s.listFirewalls(c)
	case key{"global", "firewalls", "", http.MethodGet}:
		return s.getFirewall(c)
	case key{"global", "firewalls", "", http.MethodPatch}:
		return s.patchFirewall(c, false)
	case key{"global", "firewalls", "", http.MethodPut}:
		return s.patchFirewall(c, true)
	case key{"global", "firewalls", "", http.MethodDelete}:
		return s.deleteFirewall(c)

	case key{"regions", "backendServices", "", "list:" + http.MethodPost}:
		return s.insertBackendService(c)
	case key{"regions", "backendServices", "", http.MethodGet}:
		return s.getBackendService(c)
	case key{"regions", "backendServices", "getHealth", http.MethodPost}:
		return s.getHealth(c)

	case key{"regions", "forwardingRules", "", "list:" + http.MethodPost}:
		return s.insertForwardingRule(c)
	case key{"regions", "forwardingRules", "", http.MethodGet}:
		return s.getForwardingRule(c)

	case key{"regions", "serviceAttachments", "", "list:" + http.MethodPost}:
		return s.insertServiceAttachment(c)
	case key{"regions", "serviceAttachments", "", http.MethodGet}:
		return s.getServiceAttachment(c)
	case key{"regions", "serviceAttachments", "", "list:" + http.MethodGet}:
		return s.listServiceAttachments(c)
	case key{"regions", "serviceAttachments", "", http.MethodPatch}:
		return s.patchServiceAttachment(c)

	case key{"regions", "serviceAttachments", "", http.MethodDelete},
		key{"regions", "forwardingRules", "", http.MethodDelete},
		key{"regions", "backendServices", "", http.MethodDelete},
		key{"regions", "healthChecks", "", http.MethodDelete},
		key{"regions", "subnetworks", "", http.MethodDelete},
		key{"zones", "instanceGroups", "", http.MethodDelete}:
		return s.deleteResource(c)
	}
	return nil, errorf(http.StatusNotFound, "notFound", "%s %s is not served by the sandbox Compute Engine", c.method, c.path())
}

// decode reads a JSON request body. Unknown and output-only fields are
// ignored, as Compute Engine ignores them.
func decode(c call, v any) *apiError {
	if err := json.Unmarshal(c.body, v); err != nil {
		return errorf(http.StatusBadRequest, "parseError", "Invalid JSON payload received: %v", err)
	}
	return nil
}

// newOperation records an operation on target in the call's scope, done
// after the operation delay. Callers hold s.mu.
func (s *Server) newOperation(c call, opType, target string, targetID uint64) *Operation {
	now := s.now()
	id := s.world.newID()
	op := &Operation{
		ID:         id,
		Name:       fmt.Sprintf("operation-%d-%d", now.UnixMilli(), id%100000),
		Project:    c.project,
		Scope:      c.scope,
		Type:       opType,
		TargetLink: target,
		TargetID:   targetID,
		CreatedAt:  now,
		DoneAt:     now.Add(s.opts.Delays.Operation),
	}
	s.world.Operations[op.Path()] = op
	if rid := firstQuery(c, "requestId"); rid != "" {
		s.world.RequestIDs[c.project+"/"+rid] = op.Path()
	}
	return op
}

// replayed returns the operation of an earlier call with the same
// requestId, if any. Callers hold s.mu.
func (s *Server) replayed(c call) *Operation {
	rid := firstQuery(c, "requestId")
	if rid == "" {
		return nil
	}
	return s.world.Operations[s.world.RequestIDs[c.project+"/"+rid]]
}

// failOperation marks op as failed with the injected fault.
func (s *Server) failOperation(op *Operation, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op.HTTPError = f.Status
	op.ErrorCode = strings.ToUpper(f.Reason)
	op.ErrorMessage = "injected fault"
	op.DoneAt = op.CreatedAt
	s.commit()
}

func (s *Server) getOperation(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "projects/" + c.project + "/" + c.scope + "/operations/" + c.name
	op, ok := s.world.Operations[path]
	if !ok {
		return nil, notFound(path)
	}
	return s.renderOperation(op, s.now()), nil
}

// renderOperation returns op as Compute Engine sends it. A failed
// operation carries httpErrorStatusCode, without which the Go client's
// Wait reports success. Callers hold s.mu.
func (s *Server) renderOperation(op *Operation, now time.Time) map[string]any {
	out := map[string]any{
		"kind":          "compute#operation",
		"id":            fmt.Sprint(op.ID),
		"name":          op.Name,
		"operationType": op.Type,
		"targetLink":    linkBase + op.TargetLink,
		"targetId":      fmt.Sprint(op.TargetID),
		"selfLink":      linkBase + op.Path(),
		"insertTime":    op.CreatedAt.Format(time.RFC3339Nano),
		"startTime":     op.CreatedAt.Format(time.RFC3339Nano),
		"status":        "RUNNING",
		"progress":      0,
	}
	if op.Scope != "global" {
		key := strings.TrimSuffix(strings.SplitN(op.Scope, "/", 2)[0], "s")
		out[key] = linkBase + "projects/" + op.Project + "/" + op.Scope
	}
	if !now.Before(op.DoneAt) {
		out["status"] = "DONE"
		out["progress"] = 100
		out["endTime"] = op.DoneAt.Format(time.RFC3339Nano)
		if op.HTTPError != 0 {
			out["httpErrorStatusCode"] = op.HTTPError
			out["httpErrorMessage"] = strings.ToUpper(http.StatusText(op.HTTPError))
			out["error"] = map[string]any{"errors": []map[string]string{{"code": op.ErrorCode, "message": op.ErrorMessage}}}
		}
	}
	return out
}

// page returns one page of items sorted by key, with the token of the
// next page.
func page[T any](c call, items map[string]T, keep func(T) bool, pageSize int) ([]T, string, *apiError) {
	keys := make([]string, 0, len(items))
	for k, v := range items {
		if keep(v) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	size := pageSize
	if v := firstQuery(c, "maxResults"); v != "" {
		if _, err := fmt.Sscan(v, &size); err != nil || size <= 0 {
			return nil, "", invalid("Invalid value for field 'maxResults': '%s'", v)
		}
	}
	start := 0
	if token := firstQuery(c, "pageToken"); token != "" {
		start = sort.SearchStrings(keys, token)
	}
	end := min(start+size, len(keys))
	out := make([]T, 0, end-start)
	for _, k := range keys[start:end] {
		out = append(out, items[k])
	}
	next := ""
	if end < len(keys) {
		next = keys[end]
	}
	return out, next, nil
}

func firstQuery(c call, key string) string {
	if v := c.query[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// sortedKeys returns the keys of m in order.
func sortedKeys[T any](m map[string]T) []string {
	return slices.Sorted(maps.Keys(m))
}
