package gcpsim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestInsertInstanceCatalogue(t *testing.T) {
	s, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.EnsureNetwork("p", "net"); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureSubnetwork("p", "us-central1", "sub", "net", "10.0.0.0/24", "PRIVATE"); err != nil {
		t.Fatal(err)
	}
	const debian = "projects/debian-cloud/global/images/family/debian-12"
	tests := []struct {
		name, machineType, image, wantWords string
		wantStatus                          int
	}{
		{"machine type name alone", "e2-small", debian, "Must be a URL", http.StatusBadRequest},
		{"machine type with spaces", "zones/us-central1-a/machineTypes/E2 SMALL", debian, "does not exist", http.StatusBadRequest},
		{"unknown machine type", "zones/us-central1-a/machineTypes/e2-nope", debian, "does not exist", http.StatusBadRequest},
		{"machine type of another zone", "zones/us-east1-b/machineTypes/e2-small", debian, "zone us-central1-a", http.StatusBadRequest},
		{"image name alone", "zones/us-central1-a/machineTypes/e2-small", "debian-12", "was not found", http.StatusNotFound},
		{"unknown family", "zones/us-central1-a/machineTypes/e2-small", "projects/debian-cloud/global/images/family/debian-99", "was not found", http.StatusNotFound},
		{"image of the caller's project", "zones/us-central1-a/machineTypes/e2-small", "global/images/nginx-base", "was not found", http.StatusNotFound},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := json.Marshal(map[string]any{
				"name":              "proxy" + string(rune('a'+i)),
				"machineType":       tt.machineType,
				"disks":             []any{map[string]any{"boot": true, "initializeParams": map[string]any{"sourceImage": tt.image}}},
				"networkInterfaces": []any{map[string]any{"subnetwork": "regions/us-central1/subnetworks/sub"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodPost, s.URL()+apiPrefix+"p/zones/us-central1-a/instances", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tt.wantWords) {
				t.Errorf("body %s does not contain %q", rec.Body, tt.wantWords)
			}
		})
	}
}

func TestCatalogueAcceptsForms(t *testing.T) {
	machineTypes := []string{
		"zones/us-central1-a/machineTypes/e2-small",
		"projects/p/zones/us-central1-a/machineTypes/n2-custom-2-4096",
		"https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a/machineTypes/e2-medium",
	}
	for _, machineType := range machineTypes {
		if err := checkMachineType("p", "us-central1-a", machineType); err != nil {
			t.Errorf("checkMachineType(%q) = %v, want nil", machineType, err)
		}
	}
	images := []string{
		"projects/debian-cloud/global/images/family/debian-12",
		"projects/debian-cloud/global/images/debian-12-bookworm-v20240110",
		"https://compute.googleapis.com/compute/v1/projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64",
	}
	for _, image := range images {
		if err := checkImage("p", image); err != nil {
			t.Errorf("checkImage(%q) = %v, want nil", image, err)
		}
	}
}
