package gcp

import (
	"context"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/workflow"
)

// launchedInstances returns how many instances with a startup script the
// sandbox has booted.
func (h *harness) launchedInstances() int {
	return len(h.launcher.Launched())
}

func TestCreateInstanceAfterDeleteWithSameToken(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	spec := cloud.GCPInstanceSpec{
		Name: "proxy", RequestID: "REQ-1", Zone: zone, MachineType: "e2-small", Image: "projects/debian-cloud/global/images/family/debian-12",
		Network: "vpc-one", Subnetwork: "apps", StartupScript: "#!/bin/bash\necho proxy\n", ClientToken: "token-1",
	}
	if _, err := h.net.CreateInstance(ctx, spec); err != nil {
		t.Fatalf("first CreateInstance: %v", err)
	}

	// A teardown deletes the VM, and a redrive of the same execution
	// creates it with the same client token. Each round must insert a new
	// instance, and a retry with the same token must insert none.
	for round := 1; round <= 2; round++ {
		if err := h.net.DeleteInstance(ctx, zone, spec.Name); err != nil {
			t.Fatalf("DeleteInstance in round %d: %v", round, err)
		}
		inst, err := h.net.CreateInstance(ctx, spec)
		if err != nil {
			t.Fatalf("CreateInstance after the delete in round %d: %v", round, err)
		}
		if inst.Name != spec.Name {
			t.Errorf("round %d created %q, want %q", round, inst.Name, spec.Name)
		}
		if got := h.launchedInstances(); got != round+1 {
			t.Errorf("after round %d the sandbox booted %d instances, want %d", round, got, round+1)
		}
		if _, err := h.net.CreateInstance(ctx, spec); err != nil {
			t.Fatalf("retried CreateInstance in round %d: %v", round, err)
		}
		if got := h.launchedInstances(); got != round+1 {
			t.Errorf("a retry in round %d booted another instance: %d, want %d", round, got, round+1)
		}
	}
}

// TestCreateInstanceMissingImage checks that an insert that Compute Engine
// rejects with 404 for a missing image family fails as InvalidRequest
// naming the request fields, with and without a client token, and is not
// retried as NotReady.
func TestCreateInstanceMissingImage(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	for _, token := range []string{"", "token-1"} {
		spec := cloud.GCPInstanceSpec{
			Name: "proxy", RequestID: "REQ-1", Zone: zone, MachineType: "e2-small", Image: "projects/debian-cloud/global/images/family/debian-99",
			Network: "vpc-one", Subnetwork: "apps", StartupScript: "#!/bin/bash\necho proxy\n", ClientToken: token,
		}
		_, err := h.net.CreateInstance(ctx, spec)
		if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
			t.Errorf("CreateInstance with client token %q: error name = %q, want %q (error: %v)", token, name, workflow.ErrInvalidRequest, err)
		}
		if err != nil && !strings.Contains(err.Error(), "check $.gcp.image") {
			t.Errorf("CreateInstance with client token %q: error %q does not name gcp.image", token, err)
		}
	}
}
