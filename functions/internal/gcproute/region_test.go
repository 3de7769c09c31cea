package gcproute

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// regionLister is a cloud.GCPNetwork that only lists regions.
type regionLister struct {
	cloud.GCPNetwork
	regions []cloud.GCPRegion
	err     error
}

func (l regionLister) ListRegions(context.Context) ([]cloud.GCPRegion, error) {
	return l.regions, l.err
}

func TestCheckRegion(t *testing.T) {
	regions := []cloud.GCPRegion{
		{Name: "europe-west1", Status: "UP", Zones: []string{"europe-west1-b", "europe-west1-c", "europe-west1-d"}},
		{Name: "europe-west4", Status: "UP", Zones: []string{"europe-west4-a", "europe-west4-b", "europe-west4-c"}},
		{Name: "us-central1", Status: "UP", Zones: []string{"us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"}},
	}
	tests := []struct {
		name, region, zone string
		listErr            error
		// want lists parts of the error message; none means no error.
		want        []string
		wantInvalid bool
	}{
		{name: "known region and zone", region: "europe-west4", zone: "europe-west4-b"},
		{name: "misspelt region", region: "europe-wst4", zone: "europe-wst4-a", wantInvalid: true,
			want: []string{"$.gcp.region europe-wst4 is not a Compute Engine region of project proj-one", "set $.gcp.region to one of its regions, such as europe-west4,", "$.gcp.zone"}},
		{name: "zone the region lacks", region: "europe-west1", zone: "europe-west1-a", wantInvalid: true,
			want: []string{"$.gcp.zone europe-west1-a is not a zone of region europe-west1", "europe-west1-b, europe-west1-c, europe-west1-d"}},
		{name: "list fails", region: "europe-west4", zone: "europe-west4-a", listErr: workflow.Errorf(workflow.ErrThrottled, "quota"),
			want: []string{"list the Compute Engine regions of $.gcp.project proj-one"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			network := regionLister{regions: regions, err: tt.listErr}
			err := CheckRegion(context.Background(), network, request.GCP{Project: "proj-one", Region: tt.region, Zone: tt.zone})
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("CheckRegion = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckRegion = nil, want an error")
			}
			if got := workflow.NameOf(err) == workflow.ErrInvalidRequest; got != tt.wantInvalid {
				t.Errorf("error %v is InvalidRequest: %v, want %v", err, got, tt.wantInvalid)
			}
			if tt.listErr != nil && !errors.Is(err, tt.listErr) {
				t.Errorf("error %v does not wrap the list error", err)
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
		})
	}
}
