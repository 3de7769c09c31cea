package azureconnection

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

const (
	serviceID  = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Network/privateLinkServices/pls1"
	endpointID = "/subscriptions/5f0c3a9e-7b1d-4e2a-9c6f-3d8b2a1e4f70/resourcegroups/sf/providers/microsoft.network/privateendpoints/ep-1"
	host       = "pypi.corp.example.com"
)

// network is a fake with only the connection calls.
type network struct {
	cloud.AzureNetwork
	conns      []cloud.AzureEndpointConnection
	approveErr error
	// approvedBy makes a failing approval read Approved afterwards, as when
	// another run approved first.
	approvedBy bool
	approved   []string
}

func (n *network) PrivateEndpointConnections(context.Context, string) ([]cloud.AzureEndpointConnection, error) {
	return n.conns, nil
}

func (n *network) ApproveEndpointConnection(_ context.Context, _, name, _ string) (cloud.AzureEndpointConnection, error) {
	n.approved = append(n.approved, name)
	for i := range n.conns {
		if n.conns[i].Name != name {
			continue
		}
		if n.approveErr != nil {
			if n.approvedBy {
				n.conns[i].Status = cloud.AzureApproved
			}
			return cloud.AzureEndpointConnection{}, n.approveErr
		}
		n.conns[i].Status = cloud.AzureApproved
		return n.conns[i], nil
	}
	return cloud.AzureEndpointConnection{}, errors.New("connection not found")
}

// snowflakeConn returns infos for SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO.
type snowflakeConn struct {
	infos []map[string]string
}

func (c snowflakeConn) Exec(context.Context, string) error { return nil }

func (c snowflakeConn) Query(context.Context, string) ([]snowflake.Row, error) {
	data, _ := json.Marshal(c.infos)
	return []snowflake.Row{{"INFO": string(data)}}, nil
}

func azureInfo(provider, resource, status string) map[string]string {
	return map[string]string{
		"provider_resource_id": provider, "snowflake_resource_id": resource, "host": host,
		"endpoint_state": "PENDING_CREATION", "status": status,
	}
}

// deprovisionedInfo returns the info of an endpoint to serviceID that is
// queued for deletion.
func deprovisionedInfo(resource string) map[string]string {
	info := azureInfo(serviceID, resource, "DISCONNECTED")
	info["endpoint_state"] = "PENDING_DELETION"
	return info
}

func pending(name, endpoint string) cloud.AzureEndpointConnection {
	return cloud.AzureEndpointConnection{ID: serviceID + "/privateEndpointConnections/" + name, Name: name, PrivateEndpointID: endpoint, Status: cloud.AzurePending}
}

func TestRun(t *testing.T) {
	snowflakeEndpoint := azureInfo(serviceID, endpointID, "PENDING")
	tests := []struct {
		name       string
		infos      []map[string]string
		conns      []cloud.AzureEndpointConnection
		approveErr error
		approvedBy bool
		wantErr    string
		wantAction string
		wantText   string
		approved   []string
	}{
		{
			name:       "pending is approved by connection name",
			infos:      []map[string]string{snowflakeEndpoint},
			conns:      []cloud.AzureEndpointConnection{pending("ep-1.0f1e2d3c", endpointID)},
			wantAction: workflow.Created,
			approved:   []string{"ep-1.0f1e2d3c"},
		},
		{
			name:       "endpoint ID matches in any case",
			infos:      []map[string]string{snowflakeEndpoint},
			conns:      []cloud.AzureEndpointConnection{pending("ep-1.0f1e2d3c", strings.ToUpper(endpointID))},
			wantAction: workflow.Created,
			approved:   []string{"ep-1.0f1e2d3c"},
		},
		{
			name:       "service ID matches in any case",
			infos:      []map[string]string{azureInfo(strings.ToLower(serviceID), endpointID, "PENDING")},
			conns:      []cloud.AzureEndpointConnection{pending("ep-1.0f1e2d3c", endpointID)},
			wantAction: workflow.Created,
			approved:   []string{"ep-1.0f1e2d3c"},
		},
		{
			// Snowflake may list the endpoint that a teardown deprovisioned,
			// to the deleted service with the same ID, before the new one.
			name: "deprovisioned endpoint is skipped",
			infos: []map[string]string{
				deprovisionedInfo(strings.Replace(endpointID, "ep-1", "ep-0", 1)), snowflakeEndpoint,
			},
			conns:      []cloud.AzureEndpointConnection{pending("ep-1.0f1e2d3c", endpointID)},
			wantAction: workflow.Created,
			approved:   []string{"ep-1.0f1e2d3c"},
		},
		{
			name:       "already approved is adopted",
			infos:      []map[string]string{snowflakeEndpoint},
			conns:      []cloud.AzureEndpointConnection{{Name: "ep-1.x", PrivateEndpointID: endpointID, Status: cloud.AzureApproved}},
			wantAction: workflow.Adopted,
		},
		{
			name:       "approved meanwhile is adopted",
			infos:      []map[string]string{snowflakeEndpoint},
			conns:      []cloud.AzureEndpointConnection{pending("ep-1.x", endpointID)},
			approveErr: errors.New("conflict"),
			approvedBy: true,
			wantAction: workflow.Adopted,
			approved:   []string{"ep-1.x"},
		},
		{
			name:       "failed approval is returned",
			infos:      []map[string]string{snowflakeEndpoint},
			conns:      []cloud.AzureEndpointConnection{pending("ep-1.x", endpointID)},
			approveErr: errors.New("forbidden"),
			wantText:   "forbidden",
			approved:   []string{"ep-1.x"},
		},
		{
			name:     "rejected is terminal",
			infos:    []map[string]string{snowflakeEndpoint},
			conns:    []cloud.AzureEndpointConnection{{Name: "ep-1.x", PrivateEndpointID: endpointID, Status: cloud.AzureRejected}},
			wantErr:  workflow.ErrRejected,
			wantText: "SYSTEM$DEPROVISION_PRIVATELINK_ENDPOINT('" + serviceID + "')",
		},
		{
			name:     "disconnected is terminal",
			infos:    []map[string]string{snowflakeEndpoint},
			conns:    []cloud.AzureEndpointConnection{{Name: "ep-1.x", PrivateEndpointID: endpointID, Status: cloud.AzureDisconnected}},
			wantErr:  workflow.ErrRejected,
			wantText: "redrive the run",
		},
		{
			name:    "another endpoint's connection is left alone",
			infos:   []map[string]string{snowflakeEndpoint},
			conns:   []cloud.AzureEndpointConnection{pending("stranger.1", "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/privateEndpoints/stranger")},
			wantErr: workflow.ErrNotReady,
		},
		{
			name:    "no endpoint in Snowflake yet",
			infos:   []map[string]string{azureInfo(serviceID+"-other", endpointID, "PENDING")},
			conns:   []cloud.AzureEndpointConnection{pending("ep-1.x", endpointID)},
			wantErr: workflow.ErrNotReady,
		},
		{
			name:    "endpoint without resource ID yet",
			infos:   []map[string]string{azureInfo(serviceID, "", "PENDING")},
			conns:   []cloud.AzureEndpointConnection{pending("ep-1.x", endpointID)},
			wantErr: workflow.ErrNotReady,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &network{conns: tt.conns, approveErr: tt.approveErr, approvedBy: tt.approvedBy}
			env := &workflow.Env{
				Azure:     func(context.Context, string) (cloud.AzureNetwork, error) { return fake, nil },
				Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return snowflakeConn{tt.infos}, nil },
			}
			doc := workflow.Document{
				Request: request.Request{ID: "T-1", Azure: &request.Azure{SubscriptionID: "00000000-0000-0000-0000-000000000001"}},
				Resources: workflow.Resources{
					EndpointService: &workflow.EndpointService{Result: workflow.Result{ID: serviceID}, ServiceName: serviceID},
					Endpoint:        &workflow.Endpoint{Result: workflow.Result{ID: serviceID}, Host: host},
				},
			}
			out, err := Run(t.Context(), env, doc)
			if got := workflow.NameOf(err); got != tt.wantErr {
				t.Fatalf("error name = %q (%v), want %q", got, err, tt.wantErr)
			}
			if tt.wantText != "" && (err == nil || !strings.Contains(err.Error(), tt.wantText)) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantText)
			}
			if out.Action != tt.wantAction {
				t.Errorf("action = %q, want %q", out.Action, tt.wantAction)
			}
			if tt.wantAction != "" && out.State != cloud.AzureApproved {
				t.Errorf("state = %q, want Approved", out.State)
			}
			if diff := cmp.Diff(tt.approved, fake.approved); diff != "" {
				t.Errorf("approved connections (-want +got):\n%s", diff)
			}
		})
	}
}
