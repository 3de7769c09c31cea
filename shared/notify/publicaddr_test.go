package notify

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSkipReasonInternalHostOutsideSandbox(t *testing.T) {
	h := newHarness(t, false, nil)
	for _, url := range []string{
		"https://169.254.169.254/latest/meta-data/",
		"https://127.0.0.1:8443/hook",
		"https://10.0.0.5/hook",
		"https://metadata.google.internal/computeMetadata/v1/",
		"https://localhost/hook",
	} {
		if reason := h.notifier.skipReason(url); !strings.Contains(reason, "$.notify.url host is") {
			t.Errorf("skipReason(%s) = %q, want the host rejected", url, reason)
		}
	}
	if reason := h.notifier.skipReason("https://hooks.example.com/n"); reason != "" {
		t.Errorf("skipReason(public host) = %q, want \"\"", reason)
	}
}

func TestSkipReasonSandboxKeepsLoopback(t *testing.T) {
	h := newHarness(t, true, nil)
	if reason := h.notifier.skipReason("http://127.0.0.1:8099/hook"); reason != "" {
		t.Errorf("skipReason(loopback in sandbox) = %q, want \"\"", reason)
	}
}

func TestDefaultClientDialsOnlyPublicAddresses(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("notifier client reached a loopback server outside sandbox mode")
	}))
	defer server.Close()

	h := newHarness(t, false, nil)
	resp, err := h.notifier.cfg.Client.Get(server.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("request to a loopback server succeeded, want the dial rejected")
	}
	if !strings.Contains(err.Error(), "loopback") {
		t.Errorf("error = %v, want it to name the loopback address", err)
	}
}

func TestDefaultClientSandboxDialsLoopback(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer server.Close()

	h := newHarness(t, true, nil)
	resp, err := h.notifier.cfg.Client.Get(server.URL)
	if err != nil {
		t.Fatalf("request to a loopback server in sandbox mode: %v", err)
	}
	resp.Body.Close()
}
