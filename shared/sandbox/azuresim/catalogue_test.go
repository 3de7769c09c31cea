package azuresim

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// vmBody returns a VM PUT body with the location, size and image.
func vmBody(t *testing.T, location, size string, image map[string]string, nicID string) string {
	t.Helper()
	body := map[string]any{
		"location": location,
		"properties": map[string]any{
			"hardwareProfile": map[string]any{"vmSize": size},
			"networkProfile":  map[string]any{"networkInterfaces": []any{map[string]any{"id": nicID}}},
			"osProfile":       map[string]any{"adminUsername": "repolink", "computerName": "vm1", "linuxConfiguration": map[string]any{"disablePasswordAuthentication": true}},
			"storageProfile":  map[string]any{"imageReference": image},
		},
	}
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestVMCatalogue(t *testing.T) {
	s, client := startServer(t)
	subnetID, err := s.EnsureSubnet(testSubscription, "rg1", "eastus", "vnet1", "sn1", "10.0.1.0/24")
	if err != nil {
		t.Fatal(err)
	}
	nicURL := s.URL() + "/subscriptions/" + testSubscription + "/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/nic1?api-version=2024-05-01"
	nicBody := `{"location":"eastus","properties":{"ipConfigurations":[{"name":"ipconfig1","properties":{"subnet":{"id":"` + subnetID + `"}}}]}}`
	code, doc, _ := call(t, client, http.MethodPut, nicURL, "token", nicBody)
	if code != http.StatusCreated {
		t.Fatalf("PUT NIC status = %d, body %v", code, doc)
	}
	nicID := doc["id"].(string)
	vmURL := s.URL() + "/subscriptions/" + testSubscription + "/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-11-01"

	ubuntu := map[string]string{"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"}
	tests := []struct {
		name     string
		location string
		size     string
		image    map[string]string
		wantErr  string
	}{
		{"unknown location", "nowhere", "Standard_B1s", ubuntu, "LocationNotAvailableForResourceType"},
		{"size with a space", "eastus", "Standard B1s", ubuntu, "InvalidParameter"},
		{"unknown size", "eastus", "Standard_Nope", ubuntu, "InvalidParameter"},
		{"unknown offer", "eastus", "Standard_B1s", map[string]string{"publisher": "Canonical", "offer": "nope", "sku": "server", "version": "latest"}, "PlatformImageNotFound"},
		{"image ID", "eastus", "Standard_B1s", map[string]string{"id": "/subscriptions/" + testSubscription + "/resourceGroups/rg1/providers/Microsoft.Compute/images/img"}, "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, doc, header := call(t, client, http.MethodPut, vmURL, "token", vmBody(t, tt.location, tt.size, tt.image, nicID))
			if code != http.StatusBadRequest {
				t.Errorf("status = %d, want 400 (body %v)", code, doc)
			}
			if got := header.Get("x-ms-error-code"); got != tt.wantErr {
				t.Errorf("x-ms-error-code = %q, want %q", got, tt.wantErr)
			}
		})
	}

	code, doc, _ = call(t, client, http.MethodPut, vmURL, "token", vmBody(t, "eastus", "standard_b1s", ubuntu, nicID))
	if code != http.StatusCreated {
		t.Errorf("PUT of a catalogued VM status = %d, want 201 (body %v)", code, doc)
	}
}

func TestLocationsHaveDisplayNames(t *testing.T) {
	listed := append(slices.Clone(knownLocations), restrictedLocations...)
	for _, name := range listed {
		if locationNames[name] == "" {
			t.Errorf("location %s has no display name", name)
		}
	}
	if len(locationNames) != len(listed) {
		t.Errorf("%d display names for %d locations", len(locationNames), len(listed))
	}
	for _, name := range restrictedLocations {
		if err := checkLocation("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkInterfaces/n", name); err == nil {
			t.Errorf("checkLocation accepts the restricted location %s", name)
		}
	}
}
