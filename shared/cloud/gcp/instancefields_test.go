package gcp

import (
	"context"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/workflow"
)

func TestCreateInstanceNamesRequestField(t *testing.T) {
	tests := []struct {
		name        string
		machineType string
		subnet      string
		want        []string
	}{
		{"unknown machine type", "e2-nonexistent-9", "apps",
			[]string{"'resource.machineType'", "set $.gcp.machine_type to a machine type that zone us-central1-a offers", "--zones us-central1-a"}},
		{"machine type of another zone", "zones/us-east1-b/machineTypes/e2-small", "apps",
			[]string{"set $.gcp.machine_type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, gcpsim.Delays{})
			_, err := h.net.CreateInstance(context.Background(), cloud.GCPInstanceSpec{
				Name: "proxy", RequestID: "REQ-1", Zone: zone, MachineType: tt.machineType,
				Image: "projects/debian-cloud/global/images/family/debian-12", Network: "vpc-one", Subnetwork: tt.subnet,
				StartupScript: "#!/bin/bash\n", ClientToken: "token-1",
			})
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Fatalf("error %v named %q, want InvalidRequest", err, got)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestInvalidInstanceFieldLeavesOtherErrors(t *testing.T) {
	if err := invalidInstanceField(nil, "proxy", project, zone); err != nil {
		t.Errorf("invalidInstanceField(nil) = %v, want nil", err)
	}
	if err := invalidInstanceField(context.DeadlineExceeded, "proxy", project, zone); err != nil {
		t.Errorf("invalidInstanceField(deadline) = %v, want nil", err)
	}
}
