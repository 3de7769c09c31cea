package azuresim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// send makes one request with the headers and returns the status, the
// decoded body and the x-ms-error-code header.
func send(t *testing.T, client *http.Client, method, url string, header http.Header, body string) (int, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for key, values := range header {
		req.Header[key] = values
	}
	req.Header.Set("Authorization", "Bearer token")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	_ = json.Unmarshal(data, &doc)
	return resp.StatusCode, doc, resp.Header.Get("x-ms-error-code")
}

func groupBody(rules ...string) string {
	return `{"location":"eastus","properties":{"securityRules":[` + strings.Join(rules, ",") + `]}}`
}

func ruleProperties(direction, priority string) string {
	return `{"access":"Allow","direction":"` + direction + `","protocol":"Tcp","priority":` + priority +
		`,"sourceAddressPrefix":"192.0.2.0/24","sourcePortRange":"*","destinationAddressPrefix":"*","destinationPortRange":"443"}`
}

func ruleJSON(name, direction, priority string) string {
	return `{"name":"` + name + `","properties":` + ruleProperties(direction, priority) + `}`
}

func ifMatch(etag string) http.Header { return http.Header{"If-Match": {etag}} }

func TestNSGWriteNeedsCurrentETag(t *testing.T) {
	s, client := startServer(t)
	id, err := s.EnsureNetworkSecurityGroup(testSubscription, "rg1", "eastus", "nsg1")
	if err != nil {
		t.Fatal(err)
	}
	url := s.URL() + id + "?api-version=2024-05-01"
	etagOf := func() (string, []any) {
		t.Helper()
		code, doc, _ := send(t, client, http.MethodGet, url, nil, "")
		if code != http.StatusOK {
			t.Fatalf("GET status = %d", code)
		}
		rules, _ := doc["properties"].(map[string]any)["securityRules"].([]any)
		etag, _ := doc["etag"].(string)
		return etag, rules
	}

	first, _ := etagOf()
	if first == "" {
		t.Fatal("GET of the group has no etag")
	}
	code, doc, errCode := send(t, client, http.MethodPut, url, ifMatch(first), groupBody(ruleJSON("a", "Inbound", "100")))
	if code != http.StatusOK {
		t.Fatalf("PUT with the current etag: status %d (%s), body %v", code, errCode, doc)
	}
	second, rules := etagOf()
	if second == first || doc["etag"] != second {
		t.Errorf("etag after the write = %q and in the PUT response %v, want both equal and different from %q", second, doc["etag"], first)
	}
	if len(rules) != 1 {
		t.Errorf("rules after the write = %d, want 1", len(rules))
	}

	code, _, errCode = send(t, client, http.MethodPut, url, ifMatch(first), groupBody(ruleJSON("b", "Inbound", "100")))
	if code != http.StatusPreconditionFailed || errCode != "PreconditionFailed" {
		t.Errorf("PUT with a stale etag: status %d %q, want 412 PreconditionFailed", code, errCode)
	}
	if _, rules := etagOf(); len(rules) != 1 || rules[0].(map[string]any)["name"] != "a" {
		t.Errorf("rules after a rejected write = %v, want only rule a", rules)
	}

	// A write through the rule's own URL changes the group's etag too.
	ruleURL := s.URL() + id + "/securityRules/c?api-version=2024-05-01"
	ruleBody := `{"properties":` + ruleProperties("Inbound", "101") + `}`
	if code, doc, _ := send(t, client, http.MethodPut, ruleURL, nil, ruleBody); code != http.StatusCreated {
		t.Fatalf("PUT of rule c: status %d, body %v", code, doc)
	}
	code, _, _ = send(t, client, http.MethodPut, url, ifMatch(second), groupBody(ruleJSON("a", "Inbound", "100")))
	if code != http.StatusPreconditionFailed {
		t.Errorf("PUT with the etag from before a rule write: status %d, want 412", code)
	}

	code, _, _ = send(t, client, http.MethodPut, url, ifMatch("*"), groupBody(ruleJSON("a", "Inbound", "100")))
	if code != http.StatusOK {
		t.Errorf("PUT with If-Match *: status %d, want 200", code)
	}
	missing := s.URL() + "/subscriptions/" + testSubscription + "/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/absent?api-version=2024-05-01"
	code, _, _ = send(t, client, http.MethodPut, missing, ifMatch(first), groupBody())
	if code != http.StatusPreconditionFailed {
		t.Errorf("PUT of a missing group with If-Match: status %d, want 412", code)
	}
}

func TestNSGWriteRejectsSharedPriority(t *testing.T) {
	s, client := startServer(t)
	id, err := s.EnsureNetworkSecurityGroup(testSubscription, "rg1", "eastus", "nsg1")
	if err != nil {
		t.Fatal(err)
	}
	url := s.URL() + id + "?api-version=2024-05-01"

	code, _, errCode := send(t, client, http.MethodPut, url, nil, groupBody(ruleJSON("a", "Inbound", "100"), ruleJSON("b", "Inbound", "100")))
	if code != http.StatusBadRequest || errCode != "SecurityRuleConflict" {
		t.Errorf("two inbound rules at priority 100: status %d %q, want 400 SecurityRuleConflict", code, errCode)
	}
	code, _, errCode = send(t, client, http.MethodPut, url, nil, groupBody(ruleJSON("a", "Inbound", "100"), ruleJSON("b", "Outbound", "100")))
	if code != http.StatusOK {
		t.Errorf("inbound and outbound rules at priority 100: status %d %q, want 200", code, errCode)
	}
}
