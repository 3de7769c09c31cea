package repoindex

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestDefaultClientRejectsLoopback checks that a Client without HTTP does
// not reach an index on this machine, directly or through a redirect.
func TestDefaultClientRejectsLoopback(t *testing.T) {
	var hits atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	defer server.Close()

	for _, indexURL := range []string{
		server.URL + "/simple/",
		strings.Replace(server.URL, "127.0.0.1", "localhost", 1) + "/simple/",
	} {
		client := &Client{IndexURL: indexURL}
		_, err := client.Project(t.Context(), "requests")
		if err == nil {
			t.Errorf("Project via %s succeeded, want the connection rejected", indexURL)
			continue
		}
		if !strings.Contains(err.Error(), "rejected") {
			t.Errorf("Project via %s error = %v, want it rejected", indexURL, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("loopback server got %d requests, want 0", n)
	}
}
