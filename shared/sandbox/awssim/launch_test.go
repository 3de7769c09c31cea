package awssim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/simtest"
)

// TestRunInstancesLaunchesAfterDisconnect serves RunInstances on a request
// whose client has already disconnected, as when the caller is stopped
// mid-call. The instance must still boot, and a retry with the same client
// token must find it with its VM serving, so that its health checks can
// pass.
func TestRunInstancesLaunchesAfterDisconnect(t *testing.T) {
	launcher := &simtest.CancelAwareLauncher{}
	s := startTest(t, Options{Launcher: launcher})
	form := ec2Form("RunInstances", "ImageId", "ami-0a1b2c3d4e5f60101", "MinCount", "1", "MaxCount", "1",
		"SubnetId", "subnet-01", "UserData", "c2VydmUgNDQz", "ClientToken", "tok")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, s.URL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", strings.Replace(testAuth, "%s", "ec2", 1))
	req.Header.Set("X-Amz-Date", "20261204T120000Z")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("RunInstances after the client disconnected = %d %s", rec.Code, rec.Body)
	}

	if status, body := post(t, s, "ec2", form); status != http.StatusOK {
		t.Fatalf("RunInstances retry = %d %s", status, body)
	}
	instances := s.Snapshot().Instances
	if len(instances) != 1 {
		t.Fatalf("instances = %d, want 1", len(instances))
	}
	var id string
	for id = range instances {
	}
	if got := launcher.Launched(); len(got) != 1 || got[0] != id {
		t.Errorf("launched VMs = %v, want [%s]", got, id)
	}
	if launcher.Running() != 1 {
		t.Errorf("running VMs = %d, want 1", launcher.Running())
	}
	s.vmMu.Lock()
	addr := s.addrs[id]
	s.vmMu.Unlock()
	if addr == "" {
		t.Errorf("instance %s has no VM address, so its health checks fail", id)
	}
}
