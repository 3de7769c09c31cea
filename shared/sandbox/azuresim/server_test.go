package azuresim

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/pyindex"
)

const testSubscription = "00000000-0000-0000-0000-000000000001"

func startServer(t *testing.T) (*Server, *http.Client) {
	t.Helper()
	ca, err := pyindex.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), Options{Dir: t.TempDir(), CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
}

func call(t *testing.T, client *http.Client, method, url, token, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	_ = json.Unmarshal(data, &doc)
	return resp.StatusCode, doc, resp.Header
}

func TestRequestChecks(t *testing.T) {
	s, client := startServer(t)
	base := s.URL() + "/subscriptions/" + testSubscription + "/resourceGroups/rg1/providers/Microsoft.Network/loadBalancers/lb1"
	tests := []struct {
		name     string
		url      string
		token    string
		wantCode int
		wantErr  string
	}{
		{"missing token", base + "?api-version=2024-05-01", "", http.StatusUnauthorized, "AuthenticationFailed"},
		{"missing api-version", base, "token", http.StatusBadRequest, "MissingApiVersionParameter"},
		{"missing resource", base + "?api-version=2024-05-01", "token", http.StatusNotFound, "ResourceNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, doc, header := call(t, client, http.MethodGet, tt.url, tt.token, "")
			if code != tt.wantCode {
				t.Errorf("status = %d, want %d", code, tt.wantCode)
			}
			if got := header.Get("x-ms-error-code"); got != tt.wantErr {
				t.Errorf("x-ms-error-code = %q, want %q", got, tt.wantErr)
			}
			errBody, _ := doc["error"].(map[string]any)
			if errBody["code"] != tt.wantErr {
				t.Errorf("error.code = %v, want %q", errBody["code"], tt.wantErr)
			}
		})
	}
}

func TestStaticAddressIsNotAllocated(t *testing.T) {
	s, client := startServer(t)
	subnetID, err := s.EnsureSubnet(testSubscription, "rg1", "eastus", "vnet1", "sn1", "10.0.1.0/24")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureNetworkInterface(subnetID, "repo-nic", "10.0.1.4"); err != nil {
		t.Fatal(err)
	}
	url := s.URL() + "/subscriptions/" + testSubscription + "/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/nic2?api-version=2024-05-01"
	body := `{"location":"eastus","properties":{"ipConfigurations":[{"name":"ipconfig1","properties":{"subnet":{"id":"` + subnetID + `"}}}]}}`
	code, doc, _ := call(t, client, http.MethodPut, url, "token", body)
	if code != http.StatusCreated {
		t.Fatalf("PUT status = %d, body %v", code, doc)
	}
	configs, _ := doc["properties"].(map[string]any)["ipConfigurations"].([]any)
	ip := configs[0].(map[string]any)["properties"].(map[string]any)["privateIPAddress"]
	if ip != "10.0.1.5" {
		t.Errorf("allocated %v, want 10.0.1.5 after the static 10.0.1.4", ip)
	}
}
