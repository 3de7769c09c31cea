package gcpconnection

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

const (
	service   = "projects/corp-prod/regions/us-central1/serviceAttachments/rl-sa"
	snowEP    = "projects/sf-psc/regions/us-central1/forwardingRules/sf-ep-1"
	strangeEP = "projects/stranger/regions/us-central1/forwardingRules/ep-9"
)

type network struct {
	cloud.GCPNetwork
	sa       *cloud.GCPServiceAttachment
	accepted []cloud.GCPConsumerAcceptList
}

func (n *network) FindServiceAttachment(context.Context, string, string) (*cloud.GCPServiceAttachment, error) {
	return n.sa, nil
}

func (n *network) AddConsumerAcceptList(_ context.Context, _, _ string, e cloud.GCPConsumerAcceptList) error {
	n.accepted = append(n.accepted, e)
	return nil
}

// infoConn returns SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO with one endpoint
// to the service whose snowflake_resource_id is resourceID.
type infoConn struct{ resourceID string }

func (c infoConn) Exec(context.Context, string) error { return nil }
func (c infoConn) Query(context.Context, string) ([]snowflake.Row, error) {
	data, _ := json.Marshal([]map[string]string{{
		"provider_resource_id": service, "snowflake_resource_id": c.resourceID,
		"host": "pypi.corp.example.com", "endpoint_state": "PENDING_CREATION", "status": "Pending",
	}})
	return []snowflake.Row{{"info": string(data)}}, nil
}

func run(t *testing.T, fake *network, resourceID string) (Output, error) {
	t.Helper()
	env := &workflow.Env{
		GCP:       func(context.Context, string) (cloud.GCPNetwork, error) { return fake, nil },
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return infoConn{resourceID}, nil },
	}
	doc := workflow.Document{
		Request: request.Request{ID: "T-1", GCP: &request.GCP{Project: "corp-prod", Region: "us-central1", PSCSubnet: "psc-nat"}},
		Resources: workflow.Resources{
			EndpointService: &workflow.EndpointService{ServiceName: service, Principal: "sf-psc"},
			Endpoint:        &workflow.Endpoint{Host: "pypi.corp.example.com"},
		},
		Execution: "T-1",
	}
	return Run(context.Background(), env, doc)
}

func attachment(endpoints ...cloud.GCPConnectedEndpoint) *cloud.GCPServiceAttachment {
	return &cloud.GCPServiceAttachment{Name: "rl-sa", Path: service, ConnectionPreference: "ACCEPT_MANUAL", ConnectedEndpoints: endpoints}
}

func TestRunByStatus(t *testing.T) {
	tests := []struct {
		status     string
		wantErr    string
		wantAction string
		wantAccept bool
	}{
		{status: "PENDING", wantAction: workflow.Created, wantAccept: true},
		{status: "ACCEPTED", wantAction: workflow.Adopted},
		{status: "REJECTED", wantErr: workflow.ErrRejected},
		{status: "CLOSED", wantErr: workflow.ErrRejected},
		{status: "NEEDS_ATTENTION", wantErr: workflow.ErrConflict},
		{status: "STATUS_UNSPECIFIED", wantErr: workflow.ErrNotReady},
		{status: "", wantErr: workflow.ErrNotReady},
	}
	for _, tt := range tests {
		t.Run(orUnspecified(tt.status), func(t *testing.T) {
			fake := &network{sa: attachment(
				cloud.GCPConnectedEndpoint{Endpoint: strangeEP, Status: "PENDING", PSCConnectionID: 9},
				cloud.GCPConnectedEndpoint{Endpoint: snowEP, Status: tt.status, PSCConnectionID: 1},
			)}
			out, err := run(t, fake, snowEP)
			if got := workflow.NameOf(err); got != tt.wantErr {
				t.Fatalf("error %v named %q, want %q", err, got, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), snowEP) {
					t.Errorf("error %q does not name the endpoint", err)
				}
				if len(fake.accepted) != 0 {
					t.Errorf("accepted %v on a %s connection", fake.accepted, tt.status)
				}
				return
			}
			if out.Action != tt.wantAction || out.ID != snowEP {
				t.Errorf("output = %+v; want %s of %s", out, tt.wantAction, snowEP)
			}
			var want []cloud.GCPConsumerAcceptList
			if tt.wantAccept {
				want = []cloud.GCPConsumerAcceptList{{EndpointURL: snowEP, ConnectionLimit: 1}}
			}
			if diff := cmp.Diff(want, fake.accepted); diff != "" {
				t.Errorf("accept list entries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunNeedsAttentionAdvice(t *testing.T) {
	fake := &network{sa: attachment(cloud.GCPConnectedEndpoint{Endpoint: snowEP, Status: "NEEDS_ATTENTION"})}
	_, err := run(t, fake, snowEP)
	if err == nil || !strings.Contains(err.Error(), "NAT subnet") || !strings.Contains(err.Error(), "psc-nat") {
		t.Errorf("error %v does not tell the producer to fix the NAT subnet psc-nat", err)
	}
}

func TestRunWaitsForSnowflakeEndpoint(t *testing.T) {
	fake := &network{sa: attachment(cloud.GCPConnectedEndpoint{Endpoint: strangeEP, Status: "PENDING"})}
	_, err := run(t, fake, snowEP)
	if workflow.NameOf(err) != workflow.ErrNotReady {
		t.Errorf("error %v, want NotReady while only a stranger is connected", err)
	}
	if len(fake.accepted) != 0 {
		t.Errorf("accepted %v, want nothing", fake.accepted)
	}
}

func TestRunFallsBackToConsumerProject(t *testing.T) {
	fake := &network{sa: attachment(
		cloud.GCPConnectedEndpoint{Endpoint: strangeEP, Status: "PENDING"},
		cloud.GCPConnectedEndpoint{Endpoint: snowEP, Status: "PENDING"},
	)}
	out, err := run(t, fake, "sf-internal-id-that-names-nothing")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.ID != snowEP || len(fake.accepted) != 1 || fake.accepted[0].EndpointURL != snowEP {
		t.Errorf("output %+v, accepted %v; want only %s", out, fake.accepted, snowEP)
	}
}

func TestRunRejectsAmbiguousConnections(t *testing.T) {
	second := "projects/sf-psc/regions/us-central1/forwardingRules/sf-ep-2"
	fake := &network{sa: attachment(
		cloud.GCPConnectedEndpoint{Endpoint: snowEP, Status: "PENDING"},
		cloud.GCPConnectedEndpoint{Endpoint: second, Status: "PENDING"},
	)}
	_, err := run(t, fake, "")
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Errorf("error %v, want Conflict for two candidates", err)
	}
	if len(fake.accepted) != 0 {
		t.Errorf("accepted %v, want nothing", fake.accepted)
	}
}

func TestCandidates(t *testing.T) {
	endpoints := []cloud.GCPConnectedEndpoint{
		{Endpoint: snowEP, PSCConnectionID: 81000000000000001},
		{Endpoint: strangeEP, PSCConnectionID: 7},
	}
	tests := []struct {
		name       string
		resourceID string
		project    string
		want       []string
	}{
		{"by path", snowEP, "", []string{snowEP}},
		{"by self link", "https://www.googleapis.com/compute/v1/" + snowEP, "", []string{snowEP}},
		{"by PSC connection ID", "81000000000000001", "", []string{snowEP}},
		{"by project", "", "sf-psc", []string{snowEP}},
		{"unknown ID, by project", "other", "sf-psc", []string{snowEP}},
		{"nothing known", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range Candidates(endpoints, tt.resourceID, tt.project) {
				got = append(got, c.Endpoint)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("candidates (-want +got):\n%s", diff)
			}
		})
	}
}
