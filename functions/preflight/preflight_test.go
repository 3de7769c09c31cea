package preflight

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/sandbox/pyindex"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

const (
	repoHost     = "pypi.corp.example.test"
	testUser     = "svc@example.com"
	testPassword = "p@ss#w%rd/^:x"
	passwordRef  = "env:INDEX_PASSWORD"
)

// fakeSecrets resolves references from a map.
type fakeSecrets map[string]string

func (f fakeSecrets) Resolve(_ context.Context, ref string) (string, error) {
	value, ok := f[ref]
	if !ok {
		return "", errors.New("secret " + ref + " not found")
	}
	return value, nil
}

func startIndex(t *testing.T) *pyindex.Index {
	t.Helper()
	idx, err := pyindex.Start(t.Context(), pyindex.Options{Hosts: []string{repoHost}, Username: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

// clientFor returns a client that sends every connection to the index and
// trusts its CA.
func clientFor(t *testing.T, idx *pyindex.Index) func() *http.Client {
	transport := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: idx.CA().Pool()},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, idx.Addr())
		},
	}
	t.Cleanup(transport.CloseIdleConnections)
	return func() *http.Client { return &http.Client{Transport: transport, Timeout: 10 * time.Second} }
}

func document() workflow.Document {
	return workflow.Document{
		Execution: "DATA-1",
		Request: request.Request{
			ID: "DATA-1",
			Repository: request.Repository{
				IndexURL: "https://" + repoHost + "/simple/",
				Auth:     request.Auth{Type: "password", Username: testUser, PasswordRef: passwordRef},
				Packages: []string{"requests==2.31.0", "cloudpickle"},
			},
		},
	}
}

func TestStepPasses(t *testing.T) {
	idx := startIndex(t)
	env := &workflow.Env{Secrets: fakeSecrets{passwordRef: testPassword}, Now: time.Now, Logger: slog.New(slog.DiscardHandler), Snowflake: emptyAccount}

	out, err := New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, document())
	if err != nil {
		t.Fatalf("step: %v", err)
	}
	want := Output{
		Result:   workflow.Result{Action: workflow.Checked, ID: "https://" + repoHost + "/simple/"},
		Packages: []string{"requests==2.31.0", "cloudpickle==3.0.0"},
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestStepFailsWithEveryCheck(t *testing.T) {
	idx := startIndex(t)
	idx.SetBehavior(pyindex.Behavior{WrongHashes: true, Missing: []string{"cloudpickle"}})
	var logs bytes.Buffer
	env := &workflow.Env{
		Secrets: fakeSecrets{passwordRef: testPassword},
		Now:     time.Now,
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
	}

	_, err := New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, document())
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("error name = %q, want %s (error %v)", got, workflow.ErrInvalidRequest, err)
	}
	for _, want := range []string{"package requests==2.31.0: ", "package cloudpickle: ", "fix: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error()+logs.String(), testPassword) {
		t.Error("error or logs contain the index password")
	}
}

func TestStepCredentialProblems(t *testing.T) {
	idx := startIndex(t)
	tests := []struct {
		name    string
		secrets fakeSecrets
		want    string
	}{
		{"reference missing", fakeSecrets{}, "repository.auth.password_ref"},
		{"credential rejected", fakeSecrets{passwordRef: "wrong"}, "credentials: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &workflow.Env{Secrets: tt.secrets, Now: time.Now, Snowflake: emptyAccount}
			_, err := New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, document())
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Fatalf("error name = %q, want %s (error %v)", got, workflow.ErrInvalidRequest, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
}

// endpointsConn returns SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO with one
// endpoint per host, and the rows of SHOW statements from shows.
type endpointsConn struct {
	hosts []string
	shows map[string][]snowflake.Row // by the start of the statement
}

// emptyAccount opens a connection to an account without objects.
func emptyAccount(context.Context, request.Snowflake) (snowflake.Conn, error) {
	return endpointsConn{}, nil
}

func (c endpointsConn) Exec(context.Context, string) error { return errors.New("unexpected statement") }

func (c endpointsConn) Query(_ context.Context, stmt string) ([]snowflake.Row, error) {
	if strings.HasPrefix(stmt, "SHOW ") {
		for prefix, rows := range c.shows {
			if strings.HasPrefix(stmt, prefix) {
				return rows, nil
			}
		}
		return nil, nil
	}
	if stmt == "SELECT CURRENT_WAREHOUSE()" {
		return []snowflake.Row{{"current_warehouse()": "REPOLINK_WH"}}, nil
	}
	if strings.Contains(stmt, "SYSTEM$GET_PRIVATELINK_CONFIG") {
		// A configuration without a region passes the region check.
		return []snowflake.Row{{"SYSTEM$GET_PRIVATELINK_CONFIG()": "{}"}}, nil
	}
	if !strings.Contains(stmt, "SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO") {
		return nil, fmt.Errorf("unexpected query %q", stmt)
	}
	var infos []map[string]string
	for i, host := range c.hosts {
		infos = append(infos, map[string]string{"provider_service_name": fmt.Sprintf("svc-%d", i), "host": host})
	}
	data, err := json.Marshal(infos)
	if err != nil {
		return nil, err
	}
	return []snowflake.Row{{"SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO()": string(data)}}, nil
}

func TestStepEndpointCapacity(t *testing.T) {
	idx := startIndex(t)
	full := []string{"a.example.com", "b.example.com", "c.example.com", "d.example.com", "e.example.com"}
	tests := []struct {
		name  string
		route request.Route
		hosts []string
		// service is the name of the request's endpoint service, when
		// it has built one.
		service string
		want    string
	}{
		{"private link with room", request.RouteAWSPrivateLink, full[:4], "", ""},
		{"private link full", request.RouteAWSPrivateLink, full, "", workflow.ErrConflict},
		{"private link full with this request's endpoint", request.RouteAWSPrivateLink, full, "svc-4", ""},
		{"private link full with this host for another request", request.RouteAWSPrivateLink,
			append(full[:4:4], repoHost), "", workflow.ErrConflict},
		{"public route ignores endpoints", request.RoutePublic, full, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &workflow.Env{
				Secrets: fakeSecrets{passwordRef: testPassword},
				Now:     time.Now,
				Logger:  slog.New(slog.DiscardHandler),
				Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) {
					return endpointsConn{hosts: tt.hosts}, nil
				},
				AWS: func(context.Context, string) (cloud.AWSNetwork, error) {
					return serviceNetwork{name: tt.service}, nil
				},
			}
			doc := document()
			doc.Request.Route = tt.route
			if tt.route == request.RouteAWSPrivateLink {
				doc.Request.AWS = &request.AWS{Region: "us-west-2"}
			}
			_, err := New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, doc)
			if got := workflow.NameOf(err); got != tt.want {
				t.Errorf("error name = %q, want %q (error %v)", got, tt.want, err)
			}
		})
	}
}

func TestStepEndpointReservedOnce(t *testing.T) {
	env, step := reservingStep(t)

	// Two runs for different requests on one account, with room for one
	// more endpoint, start at the same moment.
	var errs [2]error
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			doc := document()
			doc.Request.ID = fmt.Sprintf("DATA-%d", i+1)
			doc.Request.Route = request.RouteAWSPrivateLink
			doc.Request.Snowflake.Account = "acme-prod"
			_, errs[i] = step(t.Context(), env, doc)
		})
	}
	wg.Wait()

	refused := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		refused++
		if got := workflow.NameOf(err); got != workflow.ErrConflict {
			t.Errorf("error name = %q, want %s (error %v)", got, workflow.ErrConflict, err)
		}
	}
	if refused != 1 {
		t.Errorf("runs refused = %d, want 1 (errors %v)", refused, errs)
	}

	// A run of the request that holds the place passes again.
	doc := document()
	doc.Request.Route = request.RouteAWSPrivateLink
	doc.Request.Snowflake.Account = "acme-prod"
	for i, err := range errs {
		if err == nil {
			doc.Request.ID = fmt.Sprintf("DATA-%d", i+1)
		}
	}
	if _, err := step(t.Context(), env, doc); err != nil {
		t.Errorf("rerun of %s, which holds the place: %v", doc.Request.ID, err)
	}
}

func TestStepObjectOwners(t *testing.T) {
	idx := startIndex(t)
	tests := []struct {
		name    string
		comment string
		want    string
	}{
		{"no comment", "", ""},
		{"this request", "repolink request DATA-1", ""},
		{"another request", "repolink request OTHER-7", workflow.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := workflow.NamesFor(document().Request)
			conn := endpointsConn{shows: map[string][]snowflake.Row{
				"SHOW SECRETS": {{"name": snowflake.StoredName(names.Secret), "comment": tt.comment}},
			}}
			env := &workflow.Env{
				Secrets: fakeSecrets{passwordRef: testPassword},
				Now:     time.Now,
				Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) {
					return conn, nil
				},
			}
			_, err := New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, document())
			if got := workflow.NameOf(err); got != tt.want {
				t.Errorf("error name = %q, want %q (error %v)", got, tt.want, err)
			}
		})
	}
}

// TestStepObjectConflictNames lets the integration and the repository
// exist, made by hand with other settings or for another request, and
// checks that the Conflict names the repository by its qualified name and
// the account-level integration by its own name, as plan does.
func TestStepObjectConflictNames(t *testing.T) {
	idx := startIndex(t)
	tests := []struct {
		name  string
		shows map[string][]snowflake.Row
		want  string
	}{
		{"integration", map[string][]snowflake.Row{
			"SHOW API INTEGRATIONS": {{"name": "CORP_PYPI_INTEGRATION"}},
		}, "API integration CORP_PYPI_INTEGRATION exists and differs from the request: API_PROVIDER is (not set)"},
		{"repository", map[string][]snowflake.Row{
			"SHOW ARTIFACT REPOSITORIES": {{"name": "CORP_PYPI", "type": "PYPI", "api_integration": "OTHER_INT"}},
		}, "artifact repository PLATFORM.PACKAGES.CORP_PYPI exists and differs from the request: API_INTEGRATION is OTHER_INT"},
		{"integration of another request", map[string][]snowflake.Row{
			"SHOW API INTEGRATIONS": {{"name": "CORP_PYPI_INTEGRATION", "comment": "repolink request OTHER-7"}},
		}, "API integration CORP_PYPI_INTEGRATION was created for request OTHER-7, not DATA-1"},
		{"repository of another request", map[string][]snowflake.Row{
			"SHOW ARTIFACT REPOSITORIES": {{"name": "CORP_PYPI", "comment": "repolink request OTHER-7"}},
		}, "artifact repository PLATFORM.PACKAGES.CORP_PYPI was created for request OTHER-7, not DATA-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := endpointsConn{shows: tt.shows}
			env := &workflow.Env{
				Secrets: fakeSecrets{passwordRef: testPassword},
				Now:     time.Now,
				Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) {
					return describingConn{conn}, nil
				},
			}
			doc := document()
			doc.Request.Snowflake = request.Snowflake{Database: "PLATFORM", Schema: "PACKAGES"}
			doc.Request.Repository.Name = "CORP_PYPI"

			_, err := New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, doc)
			if got := workflow.NameOf(err); got != workflow.ErrConflict {
				t.Fatalf("error name = %q, want %s (error %v)", got, workflow.ErrConflict, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// describingConn returns no rows for DESCRIBE API INTEGRATION and passes
// other queries to endpointsConn.
type describingConn struct {
	endpointsConn
}

func (c describingConn) Query(ctx context.Context, stmt string) ([]snowflake.Row, error) {
	if strings.HasPrefix(stmt, "DESCRIBE API INTEGRATION ") {
		return nil, nil
	}
	return c.endpointsConn.Query(ctx, stmt)
}

// serviceNetwork is an AWS network that has only the request's endpoint
// service, when name is set, and the region's zones and subnets. Other
// calls panic, because preflight makes none.
type serviceNetwork struct {
	cloud.AWSNetwork
	name    string
	zones   []cloud.AvailabilityZone
	subnets []cloud.Subnet
}

func (n serviceNetwork) AvailabilityZones(context.Context) ([]cloud.AvailabilityZone, error) {
	return n.zones, nil
}

func (n serviceNetwork) Subnets(_ context.Context, ids []string) ([]cloud.Subnet, error) {
	var found []cloud.Subnet
	for _, subnet := range n.subnets {
		if slices.Contains(ids, subnet.ID) {
			found = append(found, subnet)
		}
	}
	return found, nil
}

func (n serviceNetwork) VPCSubnets(_ context.Context, vpc string) ([]cloud.Subnet, error) {
	var found []cloud.Subnet
	for _, subnet := range n.subnets {
		if subnet.VPCID == vpc {
			found = append(found, subnet)
		}
	}
	return found, nil
}

// TestStepRejectsMissingZone runs preflight for an AWS request whose
// subnets leave out a zone of the region. It must fail with InvalidRequest
// naming the zone and the field, and reserve no endpoint place, before any
// step builds the proxy VM or the target group.
func TestStepRejectsMissingZone(t *testing.T) {
	env, step := reservingStep(t)
	env.AWS = func(context.Context, string) (cloud.AWSNetwork, error) {
		return serviceNetwork{
			zones: []cloud.AvailabilityZone{{Name: "us-west-2a", ID: "usw2-az1"}, {Name: "us-west-2b", ID: "usw2-az2"}},
			subnets: []cloud.Subnet{
				{ID: "subnet-a", VPCID: "vpc-1", ZoneName: "us-west-2a", ZoneID: "usw2-az1"},
				{ID: "subnet-b", VPCID: "vpc-1", ZoneName: "us-west-2b", ZoneID: "usw2-az2"},
			},
		}, nil
	}

	doc := document()
	doc.Request.Route = request.RouteAWSPrivateLink
	doc.Request.AWS = &request.AWS{Region: "us-west-2", VPCID: "vpc-1", SubnetIDs: []string{"subnet-a"}}
	_, err := step(t.Context(), env, doc)
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("error name = %q, want %s (error %v)", got, workflow.ErrInvalidRequest, err)
	}
	for _, want := range []string{"usw2-az2", "subnet-b", "aws.subnet_ids"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	// The account has room for one more endpoint, which the rejected
	// request must have left to others.
	other := document()
	other.Request.ID = "DATA-2"
	other.Request.Route = request.RouteAWSPrivateLink
	other.Request.AWS = &request.AWS{Region: "us-west-2", VPCID: "vpc-1", SubnetIDs: []string{"subnet-a", "subnet-b"}}
	if _, err := step(t.Context(), env, other); err != nil {
		t.Errorf("preflight of another request with a subnet in every zone: %v", err)
	}
}

func (n serviceNetwork) FindEndpointService(context.Context, string) (*cloud.EndpointService, error) {
	if n.name == "" {
		return nil, nil
	}
	return &cloud.EndpointService{ID: "vpce-svc-1", Name: n.name}, nil
}

func TestStepReservesAsExecution(t *testing.T) {
	env, step := reservingStep(t)
	doc := document()
	doc.Request.ID = "DATA-1"
	doc.Request.Route = request.RouteAWSPrivateLink
	doc.Request.Snowflake.Account = "acme-prod"
	doc.Execution = "DATA-1-r2"
	if _, err := step(t.Context(), env, doc); err != nil {
		t.Fatalf("preflight of DATA-1-r2: %v", err)
	}

	// The place belongs to DATA-1-r2, so the close of an earlier run of
	// the request leaves it held.
	if err := env.EndpointReservations.Release(t.Context(), "acme-prod", "DATA-1", "DATA-1"); err != nil {
		t.Fatal(err)
	}
	other := document()
	other.Request.ID = "DATA-2"
	other.Request.Route = request.RouteAWSPrivateLink
	other.Request.Snowflake.Account = "acme-prod"
	other.Execution = "DATA-2"
	_, err := step(t.Context(), env, other)
	if got := workflow.NameOf(err); got != workflow.ErrConflict {
		t.Errorf("preflight of DATA-2 error name = %q, want %s (error %v)", got, workflow.ErrConflict, err)
	}
}

// reservingStep returns a preflight step and an environment whose account
// lists four endpoints, one short of the limit, and whose reservations live
// in a fresh store.
func reservingStep(t *testing.T) (*workflow.Env, func(context.Context, *workflow.Env, workflow.Document) (Output, error)) {
	t.Helper()
	idx := startIndex(t)
	store, err := reservations.Open(filepath.Join(t.TempDir(), "reservations.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	env := &workflow.Env{
		Secrets: fakeSecrets{passwordRef: testPassword},
		Now:     time.Now,
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) {
			return endpointsConn{hosts: []string{"a.example.com", "b.example.com", "c.example.com", "d.example.com"}}, nil
		},
		EndpointReservations: store,
	}
	return env, New(Config{HTTP: clientFor(t, idx), Sandbox: true})
}
