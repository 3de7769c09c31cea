package azure

import (
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/sandbox/azuresim"
	"github.com/repolink/repolink/shared/workflow"
)

const (
	firstKey  = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlMo11XfqCChrS6Z4OHdJnmzhN9sBl98OJJxQ0JlFUu first"
	secondKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHHRX2sYCF66M7c1ylSfOVPuVi89UPxq8X9Ej2jzzr3X second"
	ecdsaKey  = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBES+WjzKuDXRcfYGO3rxSywmSsXwyC160PjbJcWryuPlg10IvTJq7cpJgZpAtulJ3j9a93TVjZby0y3ImIhgKoE= ecdsa"
)

// loginVMSpec returns a proxy VM spec on a new network interface with the
// administrator admin and the SSH public key key.
func loginVMSpec(t *testing.T, f *fixture, admin, key string) cloud.AzureVMSpec {
	t.Helper()
	nic, err := f.provider.CreateNetworkInterface(t.Context(), cloud.AzureNetworkInterfaceSpec{
		ResourceGroup: testGroup, Location: testLocation, Name: "vm1-nic", RequestID: "REQ-1", SubnetID: subnetID("sn1"),
	})
	if err != nil {
		t.Fatalf("CreateNetworkInterface: %v", err)
	}
	return cloud.AzureVMSpec{
		ResourceGroup: testGroup, Location: testLocation, Name: "vm1", RequestID: "REQ-1", NetworkInterfaceID: nic.ID,
		Size: "Standard_B1s", Image: "Canonical:ubuntu-24_04-lts:server:latest", AdminUsername: admin,
		SSHPublicKey: key, CustomData: "#cloud-config\n",
	}
}

func TestVMLoginReadBack(t *testing.T) {
	f := newFixture(t, azuresim.Delays{})
	if _, err := f.provider.CreateVM(t.Context(), loginVMSpec(t, f, "repolink", firstKey)); err != nil {
		t.Fatalf("CreateVM: %v", err)
	}
	vm, err := f.provider.FindVM(t.Context(), testGroup, "vm1")
	if err != nil || vm == nil {
		t.Fatalf("FindVM = %v, %v", vm, err)
	}
	if vm.AdminUsername != "repolink" {
		t.Errorf("AdminUsername = %q, want repolink", vm.AdminUsername)
	}
	if !slices.Equal(vm.SSHPublicKeys, []string{firstKey}) {
		t.Errorf("SSHPublicKeys = %q, want %q", vm.SSHPublicKeys, firstKey)
	}
}

func TestVMLoginChangeRejected(t *testing.T) {
	tests := []struct {
		name  string
		admin string
		key   string
	}{
		{"admin username", "ops", firstKey},
		{"ssh public key", "repolink", secondKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, azuresim.Delays{})
			spec := loginVMSpec(t, f, "repolink", firstKey)
			if _, err := f.provider.CreateVM(t.Context(), spec); err != nil {
				t.Fatalf("CreateVM: %v", err)
			}

			spec.AdminUsername, spec.SSHPublicKey = tt.admin, tt.key
			_, err := f.provider.CreateVM(t.Context(), spec)
			if name := workflow.NameOf(err); name != workflow.ErrConflict {
				t.Fatalf("error name = %q (%v), want %q", name, err, workflow.ErrConflict)
			}
			if !strings.Contains(err.Error(), "PropertyChangeNotAllowed") {
				t.Errorf("error %q does not name PropertyChangeNotAllowed", err)
			}

			vm, err := f.provider.FindVM(t.Context(), testGroup, "vm1")
			if err != nil || vm == nil {
				t.Fatalf("FindVM = %v, %v", vm, err)
			}
			if vm.AdminUsername != "repolink" || !slices.Equal(vm.SSHPublicKeys, []string{firstKey}) {
				t.Errorf("VM login = %q %q after the rejected update, want repolink %q", vm.AdminUsername, vm.SSHPublicKeys, firstKey)
			}
			body := lastRequest(t, f.sim, "PUT", "/virtualMachines/vm1")
			if got := field(body, "properties", "osProfile", "adminUsername"); got != tt.admin {
				t.Errorf("PUT adminUsername = %v, want %q", got, tt.admin)
			}
		})
	}
}

func TestVMInvalidAdminRejected(t *testing.T) {
	admins := []string{
		"root", "admin", "Administrator", strings.Repeat("u", 65),
		"ops user", "ops:user", "ops@x", "-ops", "ops.", "opsé", "ops\u200b",
	}
	for _, admin := range admins {
		t.Run(admin[:min(len(admin), 13)], func(t *testing.T) {
			f := newFixture(t, azuresim.Delays{})
			_, err := f.provider.CreateVM(t.Context(), loginVMSpec(t, f, admin, firstKey))
			if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
				t.Fatalf("error name = %q (%v), want %q", name, err, workflow.ErrInvalidRequest)
			}
			if vm, err := f.provider.FindVM(t.Context(), testGroup, "vm1"); err != nil || vm != nil {
				t.Errorf("FindVM = %v, %v, want no VM", vm, err)
			}
		})
	}
}

func TestVMInvalidSSHKeyRejected(t *testing.T) {
	tests := []struct {
		name string
		key  string
	}{
		{"not base64", "ssh-ed25519 notbase64!!"},
		{"type mismatch", "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIAlMo11XfqCChrS6Z4OHdJnmzhN9sBl98OJJxQ0JlFUu"},
		{"ecdsa", ecdsaKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, azuresim.Delays{})
			_, err := f.provider.CreateVM(t.Context(), loginVMSpec(t, f, "repolink", tt.key))
			if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
				t.Fatalf("error name = %q (%v), want %q", name, err, workflow.ErrInvalidRequest)
			}
			if !strings.Contains(err.Error(), "InvalidParameter") {
				t.Errorf("error %q does not name InvalidParameter", err)
			}
			if vm, err := f.provider.FindVM(t.Context(), testGroup, "vm1"); err != nil || vm != nil {
				t.Errorf("FindVM = %v, %v, want no VM", vm, err)
			}
		})
	}
}

func TestVMUpdateWithoutKeyKeepsKey(t *testing.T) {
	f := newFixture(t, azuresim.Delays{})
	spec := loginVMSpec(t, f, "repolink", firstKey)
	if _, err := f.provider.CreateVM(t.Context(), spec); err != nil {
		t.Fatalf("CreateVM: %v", err)
	}

	spec.SSHPublicKey = ""
	if _, err := f.provider.CreateVM(t.Context(), spec); err != nil {
		t.Fatalf("CreateVM without a key: %v", err)
	}
	vm, err := f.provider.FindVM(t.Context(), testGroup, "vm1")
	if err != nil || vm == nil {
		t.Fatalf("FindVM = %v, %v", vm, err)
	}
	if !slices.Equal(vm.SSHPublicKeys, []string{firstKey}) {
		t.Errorf("SSHPublicKeys = %q, want %q", vm.SSHPublicKeys, firstKey)
	}
}
