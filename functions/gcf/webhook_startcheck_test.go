package gcf

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// fakeRegions serves the Compute Engine regions of a project. Every other
// method panics, because the embedded interface is nil.
type fakeRegions struct {
	cloud.GCPNetwork
	regions []cloud.GCPRegion
	err     error
}

func (f fakeRegions) ListRegions(context.Context) ([]cloud.GCPRegion, error) {
	return f.regions, f.err
}

// TestWebhookRunsStartChecks checks that the webhook rejects a request
// whose gcp.region or gcp.zone the project lacks with 400 on that field
// and starts no execution, and that a failed lookup leaves the request to
// the preflight step.
func TestWebhookRunsStartChecks(t *testing.T) {
	regions := []cloud.GCPRegion{{Name: "us-central1", Status: "UP", Zones: []string{"us-central1-a", "us-central1-b"}}}
	tests := []struct {
		name        string
		region      string
		zone        string
		lookupErr   error
		wantStatus  int
		wantPath    string
		wantMessage string
	}{
		{name: "known region", region: "us-central1", zone: "us-central1-a", wantStatus: http.StatusAccepted},
		{name: "misspelt region", region: "us-centrl1", zone: "us-centrl1-a", wantStatus: http.StatusBadRequest,
			wantPath: "$.gcp.region", wantMessage: "gcp_region: $.gcp.region us-centrl1 is not a Compute Engine region of project corp-packages-prod"},
		{name: "zone the region lacks", region: "us-central1", zone: "us-central1-f", wantStatus: http.StatusBadRequest,
			wantPath: "$.gcp.zone", wantMessage: "$.gcp.zone us-central1-f is not a zone of region us-central1; set $.gcp.zone to one of its zones: us-central1-a, us-central1-b"},
		{name: "misspelt region with its intended zone", region: "us-centrl1", zone: "us-central1-a", wantStatus: http.StatusBadRequest,
			wantPath: "$.gcp.region", wantMessage: "gcp_region: $.gcp.region us-centrl1 is not a Compute Engine region of project corp-packages-prod"},
		{name: "failed lookup", region: "us-centrl1", zone: "us-centrl1-a", lookupErr: errors.New("compute API unavailable"),
			wantStatus: http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &workflow.Env{GCP: func(context.Context, string) (cloud.GCPNetwork, error) {
				return fakeRegions{regions: regions, err: tt.lookupErr}, nil
			}}
			server, workflows := newTestWebhookWith(t, nil, env)
			body := exampleRequest(t, func(doc map[string]any) {
				doc["gcp"].(map[string]any)["region"] = tt.region
				doc["gcp"].(map[string]any)["zone"] = tt.zone
			})

			status, out := postSigned(t, server, testWebhookKey, body)
			if status != tt.wantStatus {
				t.Fatalf("status = %d (%+v), want %d", status, out, tt.wantStatus)
			}
			if tt.wantPath == "" {
				return
			}
			if len(out.Errors) != 1 || out.Errors[0].Path != tt.wantPath {
				t.Fatalf("field errors = %+v, want one on %s", out.Errors, tt.wantPath)
			}
			if !strings.Contains(out.Errors[0].Message, tt.wantMessage) {
				t.Errorf("message %q lacks %q", out.Errors[0].Message, tt.wantMessage)
			}
			if n := len(workflows.started()); n != 0 {
				t.Errorf("%d executions started, want 0", n)
			}
		})
	}
}
