package provisionendpoint

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

func TestHostCarrier(t *testing.T) {
	const host = "pypi.corp.example.com"
	tests := []struct {
		name  string
		info  EndpointInfo
		found bool
	}{
		{"other service", EndpointInfo{ProviderServiceName: "svc-other", Host: host, EndpointState: "CREATED"}, true},
		{"other service, host in upper case", EndpointInfo{ProviderServiceName: "svc-other", Host: strings.ToUpper(host)}, true},
		{"other Azure resource", EndpointInfo{ProviderResourceID: "/subscriptions/0/pls-other", Host: host}, true},
		{"own service in other case", EndpointInfo{ProviderServiceName: "SVC-OWN", Host: host}, false},
		{"other host", EndpointInfo{ProviderServiceName: "svc-other", Host: "pypi.team.example.com"}, false},
		{"deprovisioned", EndpointInfo{ProviderServiceName: "svc-other", Host: host, EndpointState: "PENDING_DELETION"}, false},
		{"being deleted", EndpointInfo{ProviderServiceName: "svc-other", Host: host, EndpointState: "DELETING"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HostCarrier([]EndpointInfo{tt.info}, host, "svc-own")
			if (got != nil) != tt.found {
				t.Errorf("HostCarrier() = %+v, want found %v", got, tt.found)
			}
		})
	}
}

// TestRunRejectsHostOfOtherEndpoint checks that the step neither
// provisions nor restores an endpoint for a host that an endpoint to
// another provider service carries.
func TestRunRejectsHostOfOtherEndpoint(t *testing.T) {
	other := EndpointInfo{ProviderServiceName: "svc-other", EndpointName: "vpce-other", Host: "pypi.corp.example.com", EndpointState: "CREATED"}
	tests := []struct {
		name  string
		infos []EndpointInfo
	}{
		{"provision", []EndpointInfo{other}},
		{"restore", []EndpointInfo{other, {ProviderServiceName: "svc-own", Host: "pypi.corp.example.com", EndpointState: "PENDING_DELETION"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			account := &recordingAccount{infos: tt.infos}
			env := &workflow.Env{Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return account, nil }}

			_, err := Run(t.Context(), env, endpointDocument("DATA-2", "svc-own"))
			if got := workflow.NameOf(err); got != workflow.ErrConflict {
				t.Fatalf("error name = %q, want %s (error %v)", got, workflow.ErrConflict, err)
			}
			for _, want := range []string{"host pypi.corp.example.com", "vpce-other to svc-other", "another host name"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if len(account.changes) != 0 {
				t.Errorf("statements that change endpoints = %q, want none", account.changes)
			}
		})
	}
}

// TestHostTakenAdviceForOneHostProduct checks that the step's Conflict for
// an Artifact Registry host, which every repository of the location has,
// suggests another Snowflake account and not another host name.
func TestHostTakenAdviceForOneHostProduct(t *testing.T) {
	const host = "us-central1-python.pkg.dev"
	other := EndpointInfo{ProviderServiceName: "svc-other", EndpointName: "vpce-other", Host: host, EndpointState: "CREATED"}
	account := &recordingAccount{infos: []EndpointInfo{other}}
	env := &workflow.Env{Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return account, nil }}
	in := endpointDocument("DATA-2", "svc-own")
	in.Request.Repository.IndexURL = "https://" + host + "/p/two/simple/"

	_, err := Run(t.Context(), env, in)
	if got := workflow.NameOf(err); got != workflow.ErrConflict {
		t.Fatalf("error name = %q, want %s (error %v)", got, workflow.ErrConflict, err)
	}
	want := "or use another Snowflake account in $.snowflake.account, because every repository of an Artifact Registry location has the host name " + host
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	if strings.Contains(err.Error(), "another host name") {
		t.Errorf("error %q suggests another host name, which the location does not have", err)
	}
}

// recordingAccount lists fixed endpoints and records the statements that
// would change them, without running them.
type recordingAccount struct {
	infos   []EndpointInfo
	changes []string
}

func (a *recordingAccount) Exec(context.Context, string) error { return errors.New("unexpected Exec") }

func (a *recordingAccount) Query(_ context.Context, stmt string) ([]snowflake.Row, error) {
	if stmt == snowflake.GetPrivateLinkEndpointsInfo() {
		data, err := json.Marshal(a.infos)
		return []snowflake.Row{{"SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO()": string(data)}}, err
	}
	a.changes = append(a.changes, stmt)
	return []snowflake.Row{{"status": "done"}}, nil
}

// acceptingLink is the cloud side of the sandbox Snowflake with endpoint
// services that accept every connection.
type acceptingLink struct{}

func (acceptingLink) Connect(serviceName, _ string) (string, error) {
	return "vpce-" + serviceName, nil
}

func (acceptingLink) ConnectionState(string, string) (string, error) {
	return "pendingAcceptance", nil
}

func (acceptingLink) Address(serviceName string) (string, error) {
	return "", errors.New("no proxy serves " + serviceName)
}

func (acceptingLink) Disconnect(string, string) error { return nil }

// sandboxDocument returns the endpoint step's input for request id of the
// sandbox, with the index host host and the provider service service.
func sandboxDocument(sb *sfsandbox.Sandbox, id, host, service string) workflow.Document {
	req := sb.Request
	req.ID = id
	req.Repository.IndexURL = "https://" + host + "/simple/"
	return workflow.Document{
		Request:   req,
		Resources: workflow.Resources{EndpointService: &workflow.EndpointService{ServiceName: service}},
	}
}

func TestSandboxRejectsSecondEndpointForHost(t *testing.T) {
	sb := sfsandbox.StartWithLink(t, acceptingLink{})
	ctx := t.Context()
	first, err := Run(ctx, sb.Env, sandboxDocument(sb, "DATA-1", "pypi.corp.example.com", "svc-a"))
	if err != nil {
		t.Fatalf("first request: %v", err)
	}
	if first.Result.Action != workflow.Created {
		t.Errorf("first request action = %q, want %q", first.Result.Action, workflow.Created)
	}

	_, err = Run(ctx, sb.Env, sandboxDocument(sb, "DATA-2", "PYPI.corp.example.com", "svc-b"))
	if got := workflow.NameOf(err); got != workflow.ErrConflict {
		t.Fatalf("second request: error name = %q, want %s (error %v)", got, workflow.ErrConflict, err)
	}
	for _, want := range []string{"host pypi.corp.example.com", "vpce-svc-a to svc-a", "account myorg-analytics"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second request: error %q lacks %q", err, want)
		}
	}

	other, err := Run(ctx, sb.Env, sandboxDocument(sb, "DATA-3", "pypi.team.example.com", "svc-c"))
	if err != nil {
		t.Fatalf("request with another host: %v", err)
	}
	if other.Result.Action != workflow.Created {
		t.Errorf("request with another host: action = %q, want %q", other.Result.Action, workflow.Created)
	}
	infos, err := Endpoints(ctx, sb.Conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 {
		t.Errorf("endpoints = %+v, want the two of svc-a and svc-c", infos)
	}
}

// provisionFirstConn is a step connection that runs before once, just
// before the step's first SYSTEM$PROVISION_PRIVATELINK_ENDPOINT, as if
// another run provisioned between the step's read of the endpoints and its
// provision.
type provisionFirstConn struct {
	snowflake.Conn
	once   *sync.Once
	before func()
}

func (c *provisionFirstConn) Query(ctx context.Context, stmt string) ([]snowflake.Row, error) {
	if strings.HasPrefix(stmt, "SELECT SYSTEM$PROVISION_PRIVATELINK_ENDPOINT(") {
		c.once.Do(c.before)
	}
	return c.Conn.Query(ctx, stmt)
}

func TestSandboxRaceSecondEndpointForHost(t *testing.T) {
	sb := sfsandbox.StartWithLink(t, acceptingLink{})
	ctx := t.Context()
	var firstErr error
	once := &sync.Once{}
	before := func() {
		_, firstErr = Run(ctx, sb.Env, sandboxDocument(sb, "DATA-1", "pypi.corp.example.com", "svc-a"))
	}
	env := &workflow.Env{Snowflake: func(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error) {
		conn, err := sb.Env.Snowflake(ctx, sf)
		return &provisionFirstConn{Conn: conn, once: once, before: before}, err
	}}

	_, err := Run(ctx, env, sandboxDocument(sb, "DATA-2", "pypi.corp.example.com", "svc-b"))
	if firstErr != nil {
		t.Fatalf("request that provisioned first: %v", firstErr)
	}
	if got := workflow.NameOf(err); got != workflow.ErrConflict {
		t.Fatalf("second request: error name = %q, want %s (error %v)", got, workflow.ErrConflict, err)
	}
	for _, want := range []string{"host pypi.corp.example.com", "to svc-a", "Snowflake returned"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second request: error %q lacks %q", err, want)
		}
	}
}
