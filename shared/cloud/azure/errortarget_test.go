package azure

import (
	"errors"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/sandbox/azuresim"
	"github.com/repolink/repolink/shared/workflow"
)

// TestCreateVMUnknownSizeKeepsTarget checks that a VM create that Resource
// Manager rejects for its size carries the error target and message of the
// response, so the step can name azure.vm_size alone.
func TestCreateVMUnknownSizeKeepsTarget(t *testing.T) {
	f := newFixture(t, azuresim.Delays{})
	ctx := t.Context()
	nic, err := f.provider.CreateNetworkInterface(ctx, cloud.AzureNetworkInterfaceSpec{
		ResourceGroup: testGroup, Location: testLocation, Name: "vm1-nic", RequestID: "REQ-1", SubnetID: subnetID("sn1"),
	})
	if err != nil {
		t.Fatalf("CreateNetworkInterface: %v", err)
	}
	_, err = f.provider.CreateVM(ctx, cloud.AzureVMSpec{
		ResourceGroup: testGroup, Location: testLocation, Name: "vm1", RequestID: "REQ-1", NetworkInterfaceID: nic.ID,
		Size: "Standard_B1z", Image: "Canonical:ubuntu-24_04-lts:server:latest", AdminUsername: "repolink", CustomData: "#cloud-config\n",
	})
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("CreateVM error name = %q (%v), want %q", got, err, workflow.ErrInvalidRequest)
	}
	var targeted interface{ ErrorTarget() string }
	if !errors.As(err, &targeted) {
		t.Fatalf("CreateVM error %v has no ErrorTarget", err)
	}
	if got := targeted.ErrorTarget(); got != "vmSize" {
		t.Errorf("ErrorTarget = %q, want vmSize", got)
	}
	for _, want := range []string{"HTTP 400 InvalidParameter (target vmSize)", "The value Standard_B1z provided for the VM size is not valid"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q spans more than one line", err)
	}
}

func TestOneLineCapsMessage(t *testing.T) {
	got := oneLine("a\n  b " + strings.Repeat("x", 2*maxMessageRunes))
	if !strings.HasPrefix(got, "a b x") {
		t.Errorf("oneLine = %q, want folded whitespace", got[:10])
	}
	if n := len([]rune(got)); n != maxMessageRunes+1 {
		t.Errorf("oneLine length = %d runes, want %d", n, maxMessageRunes+1)
	}
}
