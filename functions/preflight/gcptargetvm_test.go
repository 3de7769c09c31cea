package preflight

import (
	"context"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/gcproute"
	"github.com/repolink/repolink/functions/internal/gcpsandbox"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// noProxyRequest returns the example request with proxy none in front of
// the VM at 10.20.0.25, which the sandbox runs in snet-proxy.
func noProxyRequest(t *testing.T) request.Request {
	t.Helper()
	req := gcpsandbox.ExampleRequest(t)
	req.GCP.Proxy, req.GCP.TargetAddress, req.GCP.TargetTags = "none", "10.20.0.25", []string{"pypi"}
	return req
}

func TestCheckGCPTargetVM(t *testing.T) {
	env, sim := startGCP(t)
	if err := sim.EnsureInstance("corp-packages-prod", "us-central1-a", "repository", "snet-proxy", "10.20.0.25", []string{"pypi"}); err != nil {
		t.Fatal(err)
	}
	req := noProxyRequest(t)
	network, err := env.GCP(context.Background(), req.GCP.Project)
	if err != nil {
		t.Fatal(err)
	}

	// The request's own group, left by an earlier run, holds the VM.
	own := gcproute.NamesFor(req).InstanceGroup
	if _, err := network.CreateInstanceGroup(t.Context(), cloud.GCPInstanceGroupSpec{Name: own, RequestID: req.ID, Zone: "us-central1-a", Network: "vpc-packages"}); err != nil {
		t.Fatal(err)
	}
	if err := network.AddInstanceToGroup(t.Context(), "us-central1-a", own, "repository"); err != nil {
		t.Fatal(err)
	}
	if err := checkGCPTargetVM(t.Context(), env, req); err != nil {
		t.Fatalf("checkGCPTargetVM with the VM in the request's own group = %v, want nil", err)
	}

	other, err := network.CreateInstanceGroup(t.Context(), cloud.GCPInstanceGroupSpec{Name: "rl-data-5001-ig", RequestID: "DATA-5001", Zone: "us-central1-a", Network: "vpc-packages"})
	if err != nil {
		t.Fatal(err)
	}
	if err := network.AddInstanceToGroup(t.Context(), "us-central1-a", other.Name, "repository"); err != nil {
		t.Fatal(err)
	}
	err = checkGCPTargetVM(t.Context(), env, req)
	if workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Fatalf("checkGCPTargetVM with the VM in another request's group = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.gcp.target_address 10.20.0.25", other.Path, "request DATA-5001", "tear down request DATA-5001"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestGCPTargetVMCheckAppliesToProxyNone(t *testing.T) {
	req := noProxyRequest(t)
	if !gcpNoProxy(req) {
		t.Error("gcp_target_vm does not apply to a gcp-privatelink request with proxy none")
	}
	req.GCP.Proxy = "nginx"
	if gcpNoProxy(req) {
		t.Error("gcp_target_vm applies to a request with proxy nginx")
	}
}

func TestCheckGCPMachineType(t *testing.T) {
	env, _ := startGCP(t)
	tests := []struct {
		name, machineType string
		want              []string
	}{
		{"predefined type", "e2-medium", nil},
		{"custom type", "n2-custom-2-4096", nil},
		{"path to a type", "zones/us-central1-a/machineTypes/e2-standard-2", nil},
		{"unknown type", "e2-nonexistent-9", []string{"$.gcp.machine_type e2-nonexistent-9 is not a machine type of zone us-central1-a",
			"set $.gcp.machine_type to one of its types, such as", "e2-", "or remove it to use e2-small"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := gcpsandbox.ExampleRequest(t)
			req.GCP.MachineType = tt.machineType
			err := checkGCPMachineType(t.Context(), env, req)
			if tt.want == nil {
				if err != nil {
					t.Errorf("checkGCPMachineType = %v, want nil", err)
				}
				return
			}
			if workflow.NameOf(err) != workflow.ErrInvalidRequest {
				t.Fatalf("checkGCPMachineType = %v, want InvalidRequest", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

// TestGCPZoneChecksSkipUnknownZone checks that the checks that read a
// region or zone are skipped, not passed, for a region or zone that the
// project does not list, and leave it to the gcp_region check.
func TestGCPZoneChecksSkipUnknownZone(t *testing.T) {
	env, _ := startGCP(t)
	tests := []struct {
		name         string
		region, zone string
		// want is the field that the skip reason names.
		want string
	}{
		{"unknown region", "us-cental1", "us-cental1-a", "$.gcp.region us-cental1"},
		{"unknown zone", "us-central1", "us-central1-q", "$.gcp.zone us-central1-q"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := noProxyRequest(t)
			req.GCP.Region, req.GCP.Zone = tt.region, tt.zone
			checkSkipped(t, "checkGCPTargetVM", checkGCPTargetVM(t.Context(), env, req), tt.want)
			req.GCP.Proxy, req.GCP.MachineType = "nginx", "e2-bogus"
			checkSkipped(t, "checkGCPMachineType", checkGCPMachineType(t.Context(), env, req), tt.want)
		})
	}

	req := noProxyRequest(t)
	req.GCP.Region, req.GCP.Zone = "us-cental1", "us-cental1-a"
	checkSkipped(t, "checkPSCSubnet", checkPSCSubnet(t.Context(), env, req), "$.gcp.region us-cental1")
}

// checkSkipped fails t unless err is a skip whose reason contains want
// and names the gcp_region check.
func checkSkipped(t *testing.T, check string, err error, want string) {
	t.Helper()
	reason, skipped := SkipReason(err)
	if !skipped {
		t.Errorf("%s = %v, want a skip", check, err)
		return
	}
	if !strings.Contains(reason, want) {
		t.Errorf("%s skip reason = %q, want it to name %s", check, reason, want)
	}
	if !strings.Contains(reason, "gcp_region") {
		t.Errorf("%s skip reason = %q, want it to name the gcp_region check", check, reason)
	}
}
