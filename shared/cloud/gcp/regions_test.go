package gcp

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/repolink/repolink/shared/sandbox/gcpsim"
)

// TestListRegionsFromSim lists the sandbox's regions through every page,
// with the zones that each region lists.
func TestListRegionsFromSim(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	regions, err := h.net.ListRegions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	zones := map[string][]string{}
	for _, r := range regions {
		zones[r.Name] = r.Zones
		if r.Status != "UP" {
			t.Errorf("region %s status = %q, want UP", r.Name, r.Status)
		}
	}
	if got, want := zones["us-central1"], []string{"us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"}; !slices.Equal(got, want) {
		t.Errorf("zones of us-central1 = %v, want %v", got, want)
	}
	if got, want := zones["europe-west1"], []string{"europe-west1-b", "europe-west1-c", "europe-west1-d"}; !slices.Equal(got, want) {
		t.Errorf("zones of europe-west1 = %v, want %v", got, want)
	}
	if _, ok := zones["europe-wst4"]; ok {
		t.Error("regions include europe-wst4, which Compute Engine does not have")
	}
	// The harness's page size of 2 makes the client follow nextPageToken.
	if n := len(h.rec.find(http.MethodGet, "/compute/v1/projects/"+project+"/regions")); n < 2 {
		t.Errorf("list sent %d requests, want one per page", n)
	}
}

// TestSimRegionAndZoneGet calls Regions: get and Zones: get with the Go
// client. A known name returns the resource, and an unknown one 404 with
// reason notFound, as Compute Engine returns it.
func TestSimRegionAndZoneGet(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	opts := []option.ClientOption{option.WithEndpoint(h.sim.URL()), option.WithoutAuthentication()}
	regions, err := compute.NewRegionsRESTClient(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer regions.Close()
	zones, err := compute.NewZonesRESTClient(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer zones.Close()

	region, err := regions.Get(ctx, &computepb.GetRegionRequest{Project: project, Region: "europe-west4"})
	if err != nil {
		t.Fatalf("get region europe-west4: %v", err)
	}
	if region.GetName() != "europe-west4" || len(region.GetZones()) != 3 {
		t.Errorf("region = %s with zones %v, want europe-west4 with 3 zones", region.GetName(), region.GetZones())
	}
	zone, err := zones.Get(ctx, &computepb.GetZoneRequest{Project: project, Zone: "europe-west4-a"})
	if err != nil {
		t.Fatalf("get zone europe-west4-a: %v", err)
	}
	if got := lastSegment(zone.GetRegion()); got != "europe-west4" {
		t.Errorf("region of zone europe-west4-a = %q, want europe-west4", got)
	}

	_, err = regions.Get(ctx, &computepb.GetRegionRequest{Project: project, Region: "europe-wst4"})
	checkNotFound(t, "region europe-wst4", err, "The resource 'projects/"+project+"/regions/europe-wst4' was not found")
	_, err = zones.Get(ctx, &computepb.GetZoneRequest{Project: project, Zone: "europe-west4-x"})
	checkNotFound(t, "zone europe-west4-x", err, "The resource 'projects/"+project+"/zones/europe-west4-x' was not found")
}

func checkNotFound(t *testing.T, what string, err error, wantMessage string) {
	t.Helper()
	var apiErr *googleapi.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("get %s: error %v, want a *googleapi.Error", what, err)
	}
	if apiErr.Code != http.StatusNotFound {
		t.Errorf("get %s: status %d, want 404", what, apiErr.Code)
	}
	if len(apiErr.Errors) != 1 || apiErr.Errors[0].Reason != "notFound" {
		t.Errorf("get %s: errors %+v, want one with reason notFound", what, apiErr.Errors)
	}
	if apiErr.Message != wantMessage {
		t.Errorf("get %s: message %q, want %q", what, apiErr.Message, wantMessage)
	}
}
