package notifier

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDefaultClientRejectsLoopback(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("notifier client reached a loopback server")
	}))
	defer server.Close()

	resp, err := (&Notifier{}).client().Get(server.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("request to a loopback server succeeded, want the dial rejected")
	}
	if !strings.Contains(err.Error(), "loopback") {
		t.Errorf("error = %v, want it to name the loopback address", err)
	}
}
