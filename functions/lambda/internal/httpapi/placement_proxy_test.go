package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebhookRejectsChangedProxy checks that a request that drops the
// proxy VM of a succeeded run is rejected, because the run would fail on
// the earlier target group and leave the proxy VM behind.
func TestWebhookRejectsChangedProxy(t *testing.T) {
	f := newTeardownFixture(t)
	body := readExample(t)
	noProxy := []byte(strings.Replace(string(body), `"upstream": "pypi.corp.example.com:443"`,
		`"upstream": "pypi.corp.example.com:443", "proxy": "none", "target_address": "10.0.1.25"`, 1))
	f.provisioned(t, body)

	got := f.deliver(t, "request without the proxy", noProxy, http.StatusConflict)
	if want := "request DATA-4711 changes $.aws.proxy from execution DATA-4711 (SUCCEEDED)"; !strings.Contains(got.Error, want) {
		t.Errorf("request without the proxy: error %q lacks %q", got.Error, want)
	}
	// The succeeded aws-privatelink run has its endpoint.
	if cost := "deprovisions its Snowflake private endpoint"; !strings.Contains(got.Error, cost) {
		t.Errorf("request without the proxy: error %q lacks %q", got.Error, cost)
	}
}
