package request

import (
	"strings"
	"testing"
)

func TestParseRejectsPLSSubnetInOtherCase(t *testing.T) {
	doc := editedExample(t, "azure-privatelink.json", func(doc map[string]any) {
		azure := doc["azure"].(map[string]any)
		azure["subnet_name"] = "snet-proxy"
		azure["pls_subnet_name"] = "SNET-PROXY"
	})
	fields := fieldErrors(t, string(doc))
	if len(fields) != 1 {
		t.Fatalf("field errors = %v, want one", fields)
	}
	msg, ok := fields["$.azure.pls_subnet_name"]
	if !ok {
		t.Fatalf("field errors = %v, want $.azure.pls_subnet_name", fields)
	}
	if !strings.Contains(msg, `"SNET-PROXY" names the same subnet as $.azure.subnet_name "snet-proxy"`) {
		t.Errorf("message = %q, want it to name both subnets", msg)
	}
}

func TestParseLowersAzureLocation(t *testing.T) {
	for _, location := range []string{"EastUS2", "EASTUS2", "eastus2"} {
		doc := editedExample(t, "azure-privatelink.json", func(doc map[string]any) {
			doc["azure"].(map[string]any)["location"] = location
		})
		req, err := Parse(doc)
		if err != nil {
			t.Fatalf("location %q: Parse: %v", location, err)
		}
		if req.Azure.Location != "eastus2" {
			t.Errorf("location %q: Location = %q, want eastus2", location, req.Azure.Location)
		}
	}
}

func TestParseRejectsSpacedAzureLocation(t *testing.T) {
	doc := editedExample(t, "azure-privatelink.json", func(doc map[string]any) {
		doc["azure"].(map[string]any)["location"] = "East US 2"
	})
	fields := fieldErrors(t, string(doc))
	if _, ok := fields["$.azure.location"]; !ok {
		t.Errorf("field errors = %v, want $.azure.location", fields)
	}
}
