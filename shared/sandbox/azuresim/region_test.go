package azuresim

import (
	"net/http"
	"testing"
)

// TestCreateInOtherRegionRejected checks that a network interface, a load
// balancer frontend and a Private Link Service NAT configuration fail with
// InvalidResourceReference in another location than their subnet's
// virtual network. The same creates in the network's location succeed.
func TestCreateInOtherRegionRejected(t *testing.T) {
	s, client := startServer(t)
	subnetID, err := s.EnsureSubnet(testSubscription, "rg1", "eastus2", "vnet1", "sn1", "10.0.1.0/24")
	if err != nil {
		t.Fatal(err)
	}
	natID, err := s.EnsureSubnet(testSubscription, "rg1", "eastus2", "vnet1", "sn2", "10.0.2.0/24")
	if err != nil {
		t.Fatal(err)
	}
	group := s.URL() + "/subscriptions/" + testSubscription + "/resourceGroups/rg1/providers/Microsoft.Network/"
	natBody := `{"properties":{"addressPrefix":"10.0.2.0/24","privateLinkServiceNetworkPolicies":"Disabled"}}`
	if code, doc, _ := call(t, client, http.MethodPut, group+"virtualNetworks/vnet1/subnets/sn2?api-version=2024-05-01", "token", natBody); code != http.StatusOK {
		t.Fatalf("PUT NAT subnet status = %d, body %v", code, doc)
	}

	nicBody := func(location string) string {
		return `{"location":"` + location + `","properties":{"ipConfigurations":[{"name":"ipconfig1","properties":{"subnet":{"id":"` + subnetID + `"}}}]}}`
	}
	lbBody := func(location string) string {
		return `{"location":"` + location + `","sku":{"name":"Standard"},"properties":{"frontendIPConfigurations":[{"name":"frontend","properties":{"subnet":{"id":"` + subnetID + `"}}}]}}`
	}
	frontendID := "/subscriptions/" + testSubscription + "/resourceGroups/rg1/providers/Microsoft.Network/loadBalancers/lb-eastus2/frontendIPConfigurations/frontend"
	plsBody := func(location string) string {
		return `{"location":"` + location + `","properties":{"loadBalancerFrontendIpConfigurations":[{"id":"` + frontendID + `"}],` +
			`"ipConfigurations":[{"name":"nat","properties":{"subnet":{"id":"` + natID + `"}}}]}}`
	}
	tests := []struct {
		name     string
		url      string
		body     string
		wantCode int
		wantErr  string
	}{
		{"interface in westus2", group + "networkInterfaces/nic-westus2?api-version=2024-05-01", nicBody("westus2"), http.StatusBadRequest, "InvalidResourceReference"},
		{"interface in eastus2", group + "networkInterfaces/nic-eastus2?api-version=2024-05-01", nicBody("eastus2"), http.StatusCreated, ""},
		{"load balancer in westus2", group + "loadBalancers/lb-westus2?api-version=2024-05-01", lbBody("westus2"), http.StatusBadRequest, "InvalidResourceReference"},
		{"load balancer in eastus2", group + "loadBalancers/lb-eastus2?api-version=2024-05-01", lbBody("eastus2"), http.StatusCreated, ""},
		{"link service in westus2", group + "privateLinkServices/pls-westus2?api-version=2024-05-01", plsBody("westus2"), http.StatusBadRequest, "InvalidResourceReference"},
		{"link service in eastus2", group + "privateLinkServices/pls-eastus2?api-version=2024-05-01", plsBody("EastUS2"), http.StatusCreated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, doc, header := call(t, client, http.MethodPut, tt.url, "token", tt.body)
			if code != tt.wantCode {
				t.Errorf("status = %d, want %d, body %v", code, tt.wantCode, doc)
			}
			if got := header.Get("x-ms-error-code"); got != tt.wantErr {
				t.Errorf("x-ms-error-code = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

// TestSeedMovesUnusedNetwork checks that seeding a network in another
// location moves a seeded network and its seeded interface while no run
// has built in it, and leaves the network in place once one has.
func TestSeedMovesUnusedNetwork(t *testing.T) {
	s, client := startServer(t)
	group := s.URL() + "/subscriptions/" + testSubscription + "/resourceGroups/rg1/providers/Microsoft.Network/"
	location := func(url string) any {
		t.Helper()
		code, doc, _ := call(t, client, http.MethodGet, url+"?api-version=2024-05-01", "token", "")
		if code != http.StatusOK {
			t.Fatalf("GET %s status = %d, body %v", url, code, doc)
		}
		return doc["location"]
	}

	subnetID, err := s.EnsureSubnet(testSubscription, "rg1", "westus2", "vnet1", "sn1", "10.0.1.0/24")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureNetworkInterface(subnetID, "repository-nic", "10.0.1.25"); err != nil {
		t.Fatal(err)
	}
	if got := location(group + "networkInterfaces/repository-nic"); got != "westus2" {
		t.Errorf("seeded interface location = %v, want westus2, the network's", got)
	}

	if _, err := s.EnsureSubnet(testSubscription, "rg1", "eastus2", "vnet1", "sn1", "10.0.1.0/24"); err != nil {
		t.Fatal(err)
	}
	if got := location(group + "virtualNetworks/vnet1"); got != "eastus2" {
		t.Errorf("network location after seeding for eastus2 = %v, want eastus2", got)
	}
	if got := location(group + "networkInterfaces/repository-nic"); got != "eastus2" {
		t.Errorf("seeded interface location after seeding for eastus2 = %v, want eastus2", got)
	}

	body := `{"location":"eastus2","properties":{"ipConfigurations":[{"name":"ipconfig1","properties":{"subnet":{"id":"` + subnetID + `"}}}]}}`
	if code, doc, _ := call(t, client, http.MethodPut, group+"networkInterfaces/proxy-nic?api-version=2024-05-01", "token", body); code != http.StatusCreated {
		t.Fatalf("PUT interface status = %d, body %v", code, doc)
	}
	if _, err := s.EnsureSubnet(testSubscription, "rg1", "westus2", "vnet1", "sn1", "10.0.1.0/24"); err != nil {
		t.Fatal(err)
	}
	if got := location(group + "virtualNetworks/vnet1"); got != "eastus2" {
		t.Errorf("network location after a run built in it and seeding for westus2 = %v, want eastus2", got)
	}
}
