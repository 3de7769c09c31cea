package noredirect

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestClientReturnsRedirect(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		t.Error("client followed the redirect")
	}))
	defer target.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	}))
	defer redirect.Close()

	resp, err := Client(nil, time.Second).Get(redirect.URL)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusFound {
		t.Errorf("status = %d, want %d", resp.StatusCode, http.StatusFound)
	}
}

func TestClientCopiesBase(t *testing.T) {
	transport := &http.Transport{}
	base := &http.Client{Transport: transport, Timeout: 3 * time.Second}

	client := Client(base, time.Second)

	if client == base {
		t.Fatal("Client returned base itself")
	}
	if base.CheckRedirect != nil {
		t.Error("Client changed the CheckRedirect of base")
	}
	if client.Transport != transport {
		t.Error("copy lost the transport of base")
	}
	if client.Timeout != 3*time.Second {
		t.Errorf("timeout = %v, want the 3s of base", client.Timeout)
	}
}

func TestClientDefaultTimeout(t *testing.T) {
	if got := Client(nil, 7*time.Second).Timeout; got != 7*time.Second {
		t.Errorf("timeout = %v, want 7s", got)
	}
}
