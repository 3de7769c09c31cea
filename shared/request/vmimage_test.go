package request

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exampleWith returns the example request file name as JSON, with field
// of block set to value.
func exampleWith(t *testing.T, name, block, field, value string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc[block].(map[string]any)[field] = value
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestProxyVMFieldsRejected(t *testing.T) {
	cases := []struct {
		file, block, field, value, want string
	}{
		{"azure-privatelink.json", "azure", "image", "notanurn", "publisher:offer:sku:version"},
		{"azure-privatelink.json", "azure", "image", "a:b:c", "publisher:offer:sku:version"},
		{"azure-privatelink.json", "azure", "image", "a:b:c:d:e", "publisher:offer:sku:version"},
		{"azure-privatelink.json", "azure", "image", "Canonical::server:latest", "offer"},
		{"azure-privatelink.json", "azure", "image", "/subscriptions/x/images/y", "resource ID"},
		{"azure-privatelink.json", "azure", "vm_size", "Standard B1s", "Standard_B1s"},
		{"azure-privatelink.json", "azure", "vm_size", "B1s", "Standard_B1s"},
		{"gcp-privatelink.json", "gcp", "machine_type", "E2 SMALL", "e2-small"},
		{"gcp-privatelink.json", "gcp", "machine_type", "zones/us-east1-b/machineTypes/e2-small", "gcp.zone us-central1-a"},
		{"gcp-privatelink.json", "gcp", "machine_type", "machineTypes/e2-small", "zones/us-central1-a/machineTypes/"},
		{"gcp-privatelink.json", "gcp", "image", "not an image", "global/images/family/"},
		{"gcp-privatelink.json", "gcp", "image", "debian-12", "global/images/family/"},
		{"gcp-privatelink.json", "gcp", "image", "projects/debian-cloud/images/debian-12", "global/images/family/"},
	}
	for _, c := range cases {
		t.Run(c.field+" "+c.value, func(t *testing.T) {
			_, err := Parse(exampleWith(t, c.file, c.block, c.field, c.value))
			var invalid *ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("Parse error = %v, want *ValidationError", err)
			}
			path := "$." + c.block + "." + c.field
			if len(invalid.Fields) != 1 || invalid.Fields[0].Path != path {
				t.Fatalf("field errors = %+v, want one on %s", invalid.Fields, path)
			}
			if msg := invalid.Fields[0].Message; !strings.Contains(msg, c.want) {
				t.Errorf("message = %q, want it to contain %q", msg, c.want)
			}
		})
	}
}

func TestProxyVMFieldsAccepted(t *testing.T) {
	cases := []struct {
		file, block, field, value string
	}{
		{"azure-privatelink.json", "azure", "image", "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:22.04.202401010"},
		{"azure-privatelink.json", "azure", "image", "/subscriptions/3f2b8c1e-6d4a-4b7e-9a15-2c8d7e6f5a40/resourceGroups/rg-images/providers/Microsoft.Compute/images/nginx-base"},
		{"azure-privatelink.json", "azure", "image", "/subscriptions/3f2b8c1e-6d4a-4b7e-9a15-2c8d7e6f5a40/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/corp_gallery/images/nginx/versions/1.0.0"},
		{"azure-privatelink.json", "azure", "vm_size", "Standard_E4-2s_v3"},
		{"azure-privatelink.json", "azure", "vm_size", "standard_b2s"},
		{"azure-privatelink.json", "azure", "vm_size", "Basic_A0"},
		{"gcp-privatelink.json", "gcp", "machine_type", "n2-custom-2-4096"},
		{"gcp-privatelink.json", "gcp", "machine_type", "zones/us-central1-a/machineTypes/e2-medium"},
		{"gcp-privatelink.json", "gcp", "machine_type", "projects/corp-packages-prod/zones/us-central1-a/machineTypes/e2-medium"},
		{"gcp-privatelink.json", "gcp", "machine_type", "https://www.googleapis.com/compute/v1/projects/corp-packages-prod/zones/us-central1-a/machineTypes/e2-medium"},
		{"gcp-privatelink.json", "gcp", "image", "projects/debian-cloud/global/images/debian-12-bookworm-v20240110"},
		{"gcp-privatelink.json", "gcp", "image", "projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64"},
		{"gcp-privatelink.json", "gcp", "image", "global/images/nginx-base"},
		{"gcp-privatelink.json", "gcp", "image", "https://compute.googleapis.com/compute/v1/projects/debian-cloud/global/images/family/debian-12"},
	}
	for _, c := range cases {
		t.Run(c.field+" "+c.value, func(t *testing.T) {
			if _, err := Parse(exampleWith(t, c.file, c.block, c.field, c.value)); err != nil {
				t.Errorf("Parse with %s.%s %q: %v", c.block, c.field, c.value, err)
			}
		})
	}
}
