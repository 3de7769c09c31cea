package azureproxyvm

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/proxy"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// network is a fake of the NIC and VM calls.
type network struct {
	cloud.AzureNetwork
	nic      *cloud.AzureNetworkInterface
	vm       *cloud.AzureVM
	vmSpec   *cloud.AzureVMSpec
	nicSpecs int
	// createErr fails CreateNetworkInterface and CreateVM.
	createErr error
}

func (n *network) FindNetworkInterface(context.Context, string, string) (*cloud.AzureNetworkInterface, error) {
	return n.nic, nil
}

func (n *network) CreateNetworkInterface(_ context.Context, spec cloud.AzureNetworkInterfaceSpec) (cloud.AzureNetworkInterface, error) {
	n.nicSpecs++
	if n.createErr != nil {
		return cloud.AzureNetworkInterface{}, n.createErr
	}
	tags := map[string]string{cloud.TagRequest: spec.RequestID, cloud.TagExecution: spec.Tags[cloud.TagExecution]}
	return cloud.AzureNetworkInterface{ID: "/nic/" + spec.Name, PrivateIP: "10.0.1.4", Tags: tags}, nil
}

func (n *network) FindVM(context.Context, string, string) (*cloud.AzureVM, error) {
	return n.vm, nil
}

// CreateVM returns the VM with the spec's tags, the request tag and the
// login settings, as the Azure adapter does.
func (n *network) CreateVM(_ context.Context, spec cloud.AzureVMSpec) (cloud.AzureVM, error) {
	n.vmSpec = &spec
	if n.createErr != nil {
		return cloud.AzureVM{}, n.createErr
	}
	tags := maps.Clone(spec.Tags)
	tags[cloud.TagRequest] = spec.RequestID
	n.vm = &cloud.AzureVM{ID: "/vm/" + spec.Name, ProvisioningState: "Succeeded", Tags: tags, AdminUsername: spec.AdminUsername}
	if spec.SSHPublicKey != "" {
		n.vm.SSHPublicKeys = []string{spec.SSHPublicKey}
	}
	return *n.vm, nil
}

func azureRequest(proxyMode string) request.Request {
	return request.Request{
		ID:         "T-1",
		Repository: request.Repository{IndexURL: "https://pypi.corp.example.com/simple/"},
		Azure: &request.Azure{
			SubscriptionID: "s", ResourceGroup: "rg1", Location: "eastus2", VNetName: "vnet1", SubnetName: "snet", PLSSubnetName: "pls",
			Upstream: "pypi.corp.example.com:443", Proxy: proxyMode, VMSize: "Standard_B1s", Image: "Canonical:ubuntu-24_04-lts:server:latest", AdminUsername: "repolink",
		},
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		proxy      string
		vm         *cloud.AzureVM
		wantErr    string
		wantAction string
		wantCreate bool
	}{
		{name: "creates NIC and VM", proxy: "nginx", wantAction: workflow.Created, wantCreate: true},
		{name: "adopts a provisioned VM", proxy: "nginx", vm: &cloud.AzureVM{ID: "/vm/x", ProvisioningState: "Succeeded", Tags: map[string]string{cloud.TagRequest: "T-1"}}, wantAction: workflow.Adopted},
		{name: "waits while creating", proxy: "nginx", vm: &cloud.AzureVM{ID: "/vm/x", ProvisioningState: "Creating"}, wantErr: workflow.ErrNotReady},
		{name: "failed VM is a conflict", proxy: "nginx", vm: &cloud.AzureVM{ID: "/vm/x", ProvisioningState: "Failed"}, wantErr: workflow.ErrConflict},
		{name: "another request's VM is a conflict", proxy: "nginx", vm: &cloud.AzureVM{ID: "/vm/x", ProvisioningState: "Succeeded", Tags: map[string]string{cloud.TagRequest: "T-2"}}, wantErr: workflow.ErrConflict},
		{name: "proxy none creates nothing", proxy: "none", wantAction: workflow.Skipped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &network{vm: tt.vm}
			env := &workflow.Env{Azure: func(context.Context, string) (cloud.AzureNetwork, error) { return fake, nil }}
			out, err := Run(t.Context(), env, workflow.Document{Request: azureRequest(tt.proxy), Execution: "exec-1"})
			if got := workflow.NameOf(err); got != tt.wantErr {
				t.Fatalf("error name = %q (%v), want %q", got, err, tt.wantErr)
			}
			if out.Action != tt.wantAction {
				t.Errorf("action = %q, want %q", out.Action, tt.wantAction)
			}
			if got := fake.vmSpec != nil; got != tt.wantCreate {
				t.Fatalf("VM created = %v, want %v", got, tt.wantCreate)
			}
			if tt.proxy == "none" && fake.nicSpecs != 0 {
				t.Errorf("proxy none created %d network interfaces", fake.nicSpecs)
			}
			if !tt.wantCreate {
				return
			}
			// The output lists the network interface along with the VM.
			wantRelated := []workflow.Result{{Action: workflow.Created, ID: fake.vmSpec.NetworkInterfaceID}}
			if diff := cmp.Diff(wantRelated, out.Related); diff != "" {
				t.Errorf("related (-want +got):\n%s", diff)
			}
			if fake.vmSpec.NetworkInterfaceID != "/nic/"+fake.vmSpec.Name+"-nic" {
				t.Errorf("VM uses NIC %q", fake.vmSpec.NetworkInterfaceID)
			}
			cfg, err := proxy.ParseUserData(fake.vmSpec.CustomData)
			if err != nil {
				t.Fatalf("custom data: %v", err)
			}
			want := struct {
				Hosts    []string
				Upstream string
				Resolver string
				Listen   int
			}{[]string{"pypi.corp.example.com"}, "pypi.corp.example.com:443", "168.63.129.16", 443}
			got := struct {
				Hosts    []string
				Upstream string
				Resolver string
				Listen   int
			}{cfg.Hosts, cfg.Upstream, cfg.Resolver, cfg.Listen}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("proxy config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunChangedUpstreamConflicts(t *testing.T) {
	fake := &network{}
	env := &workflow.Env{Azure: func(context.Context, string) (cloud.AzureNetwork, error) { return fake, nil }}
	req := azureRequest("nginx")
	if _, err := Run(t.Context(), env, workflow.Document{Request: req, Execution: "exec-1"}); err != nil {
		t.Fatalf("first Run: %v", err)
	}

	req.Azure.Upstream = "10.9.9.9:8443"
	_, err := Run(t.Context(), env, workflow.Document{Request: req, Execution: "exec-2"})
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run with a changed upstream = %v, want Conflict", err)
	}
	for _, want := range []string{"forwards to pypi.corp.example.com:443", "azure.upstream is 10.9.9.9:8443"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	req.Azure.Upstream = "pypi.corp.example.com:443"
	out, err := Run(t.Context(), env, workflow.Document{Request: req, Execution: "exec-3"})
	if err != nil {
		t.Fatalf("Run with the original upstream: %v", err)
	}
	if out.Action != workflow.Adopted {
		t.Errorf("action = %q, want adopted", out.Action)
	}
}

func TestRunInvalidImageCreatesNothing(t *testing.T) {
	for _, image := range []string{"notanurn", "a:b:c", "a:b:c:d:e"} {
		t.Run(image, func(t *testing.T) {
			fake := &network{}
			env := &workflow.Env{Azure: func(context.Context, string) (cloud.AzureNetwork, error) { return fake, nil }}
			req := azureRequest("nginx")
			req.Azure.Image = image
			_, err := Run(t.Context(), env, workflow.Document{Request: req, Execution: "exec-1"})
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Fatalf("error name = %q (%v), want %q", got, err, workflow.ErrInvalidRequest)
			}
			if !strings.Contains(err.Error(), "azure.image") {
				t.Errorf("error %q does not name azure.image", err)
			}
			if fake.nicSpecs != 0 {
				t.Errorf("created %d network interfaces", fake.nicSpecs)
			}
		})
	}
}

func TestRunCreateErrorsNameFields(t *testing.T) {
	rejected := workflow.Invalid("azure: HTTP 400 InvalidParameter")
	tests := []struct {
		name  string
		nic   *cloud.AzureNetworkInterface
		words []string
	}{
		{"network interface", nil, []string{`$.azure.location "eastus2"`}},
		{"VM", &cloud.AzureNetworkInterface{ID: "/nic/x", Tags: map[string]string{cloud.TagRequest: "T-1"}},
			[]string{`$.azure.vm_size "Standard_B1s"`, `$.azure.image "Canonical:ubuntu-24_04-lts:server:latest"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &network{nic: tt.nic, createErr: rejected}
			env := &workflow.Env{Azure: func(context.Context, string) (cloud.AzureNetwork, error) { return fake, nil }}
			_, err := Run(t.Context(), env, workflow.Document{Request: azureRequest("nginx"), Execution: "exec-1"})
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Fatalf("error name = %q (%v), want %q", got, err, workflow.ErrInvalidRequest)
			}
			for _, words := range tt.words {
				if !strings.Contains(err.Error(), words) {
					t.Errorf("error %q does not contain %s", err, words)
				}
			}
		})
	}
}

// codedError is a step failure with a Resource Manager error code, as the
// Azure adapter returns it.
type codedError struct {
	error
	code string
}

func (e codedError) ErrorCode() string { return e.code }

func (e codedError) Unwrap() error { return e.error }

// TestRunCreateErrorCodesNameOneField checks that a create failure whose
// error code points to one request field names that field alone. A
// location failure also advises a teardown first, because repolink rejects
// a run of the changed location while the run's resources exist.
func TestRunCreateErrorCodesNameOneField(t *testing.T) {
	vmNIC := &cloud.AzureNetworkInterface{ID: "/nic/x", Tags: map[string]string{cloud.TagRequest: "T-1"}}
	tests := []struct {
		code   string
		nic    *cloud.AzureNetworkInterface
		want   string
		absent []string
	}{
		{"LocationNotAvailableForResourceType", nil, `$.azure.location "eastus2"`, []string{"$.azure.vm_size", "$.azure.image"}},
		{"SkuNotAvailable", vmNIC, `$.azure.vm_size "Standard_B1s"`, []string{"$.azure.location", "$.azure.image"}},
		{"PlatformImageNotFound", vmNIC, `$.azure.image "Canonical:ubuntu-24_04-lts:server:latest"`, []string{"$.azure.location", "$.azure.vm_size"}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			rejected := codedError{workflow.Invalid("azure: HTTP 400 %s", tt.code), tt.code}
			fake := &network{nic: tt.nic, createErr: rejected}
			env := &workflow.Env{Azure: func(context.Context, string) (cloud.AzureNetwork, error) { return fake, nil }}
			_, err := Run(t.Context(), env, workflow.Document{Request: azureRequest("nginx"), Execution: "exec-1"})
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Fatalf("error name = %q (%v), want %q", got, err, workflow.ErrInvalidRequest)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %s", err, tt.want)
			}
			for _, field := range tt.absent {
				if strings.Contains(err.Error(), field) {
					t.Errorf("error %q names %s too", err, field)
				}
			}
			teardownFirst := workflow.NeedsTeardownFirst(workflow.ErrInvalidRequest, err.Error())
			if wantTeardown := tt.nic == nil; teardownFirst != wantTeardown {
				t.Errorf("teardown-first advice = %v, want %v: %q", teardownFirst, wantTeardown, err)
			}
		})
	}
}

// targetedError is a step failure with a Resource Manager error code and
// target, as the Azure adapter returns it.
type targetedError struct {
	codedError
	target string
}

func (e targetedError) ErrorTarget() string { return e.target }

func TestRunCreateErrorTargetsNameOneField(t *testing.T) {
	vmNIC := &cloud.AzureNetworkInterface{ID: "/nic/x", Tags: map[string]string{cloud.TagRequest: "T-1"}}
	tests := []struct {
		target string
		want   string
		absent []string
	}{
		{"vmSize", `$.azure.vm_size "Standard_B1s"`, []string{"$.azure.location", "$.azure.image"}},
		{"hardwareProfile.vmSize", `$.azure.vm_size "Standard_B1s"`, []string{"$.azure.location", "$.azure.image"}},
		{"storageProfile.imageReference.sku", `$.azure.image "Canonical:ubuntu-24_04-lts:server:latest"`, []string{"$.azure.location", "$.azure.vm_size"}},
		{"osProfile.adminUsername", "$.azure.admin_username", []string{"$.azure.location", "$.azure.vm_size", "$.azure.image"}},
		{"linuxConfiguration.ssh.publicKeys[0].keyData", "$.azure.ssh_public_key", []string{"$.azure.location", "$.azure.vm_size", "$.azure.image"}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			rejected := targetedError{codedError{workflow.Invalid("azure: HTTP 400 InvalidParameter (target %s)", tt.target), "InvalidParameter"}, tt.target}
			fake := &network{nic: vmNIC, createErr: rejected}
			env := &workflow.Env{Azure: func(context.Context, string) (cloud.AzureNetwork, error) { return fake, nil }}
			_, err := Run(t.Context(), env, workflow.Document{Request: azureRequest("nginx"), Execution: "exec-1"})
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Fatalf("error name = %q (%v), want %q", got, err, workflow.ErrInvalidRequest)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %s", err, tt.want)
			}
			for _, field := range tt.absent {
				if strings.Contains(err.Error(), field) {
					t.Errorf("error %q names %s too", err, field)
				}
			}
		})
	}
}
