package gcpsim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/simtest"
)

// TestInsertInstanceLaunchesAfterDisconnect serves an instance insert on a
// request whose client has already disconnected, as when the caller is
// stopped mid-call. The instance must still boot with its VM serving, so
// that its health checks can pass.
func TestInsertInstanceLaunchesAfterDisconnect(t *testing.T) {
	launcher := &simtest.CancelAwareLauncher{}
	s, err := Start(context.Background(), Options{Launcher: launcher})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.EnsureNetwork("p", "net"); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureSubnetwork("p", "us-central1", "sub", "net", "10.0.0.0/24", "PRIVATE"); err != nil {
		t.Fatal(err)
	}
	body := `{"name":"proxy","machineType":"zones/us-central1-a/machineTypes/e2-small",
		"disks":[{"boot":true,"initializeParams":{"sourceImage":"projects/debian-cloud/global/images/family/debian-12"}}],
		"networkInterfaces":[{"subnetwork":"regions/us-central1/subnetworks/sub"}],
		"metadata":{"items":[{"key":"startup-script","value":"serve 443"}]}}`

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost,
		s.URL()+apiPrefix+"p/zones/us-central1-a/instances", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("insert instance after the client disconnected = %d %s", rec.Code, rec.Body)
	}

	s.mu.Lock()
	inst := s.world.Instances["projects/p/zones/us-central1-a/instances/proxy"]
	s.mu.Unlock()
	if inst == nil {
		t.Fatal("instance proxy was not created")
	}
	key := launchKey(inst.ID)
	if got := launcher.Launched(); len(got) != 1 || got[0] != key {
		t.Errorf("launched VMs = %v, want [%s]", got, key)
	}
	s.vmMu.Lock()
	addr := s.addrs[key]
	s.vmMu.Unlock()
	if addr == "" {
		t.Errorf("instance %s has no VM address, so its health checks fail", key)
	}
}
