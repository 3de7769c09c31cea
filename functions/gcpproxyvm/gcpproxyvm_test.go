package gcpproxyvm

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/proxy"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

type network struct {
	cloud.GCPNetwork
	inst    *cloud.GCPInstance
	byIP    *cloud.GCPInstance
	group   *cloud.GCPInstanceGroup
	created []cloud.GCPInstanceSpec
	added   []string
	// subnets are the subnets of the request's network.
	subnets []cloud.GCPSubnetwork
	// others are the instance groups of other requests in the zone.
	others []cloud.GCPInstanceGroup
}

func (n *network) ListInstanceGroups(context.Context, string) ([]cloud.GCPInstanceGroup, error) {
	groups := slices.Clone(n.others)
	if n.group != nil {
		groups = append(groups, *n.group)
	}
	return groups, nil
}

func (n *network) FindSubnetwork(_ context.Context, region, name string) (*cloud.GCPSubnetwork, error) {
	for _, subnet := range n.subnets {
		if subnet.Region == region && subnet.Name == name {
			return &subnet, nil
		}
	}
	return nil, nil
}

func (n *network) ListSubnetworks(context.Context, string) ([]cloud.GCPSubnetwork, error) {
	return n.subnets, nil
}

func (n *network) FindInstance(context.Context, string, string) (*cloud.GCPInstance, error) {
	return n.inst, nil
}

func (n *network) FindInstanceByIP(context.Context, string, string) (*cloud.GCPInstance, error) {
	return n.byIP, nil
}

func (n *network) CreateInstance(_ context.Context, spec cloud.GCPInstanceSpec) (cloud.GCPInstance, error) {
	n.created = append(n.created, spec)
	n.inst = &cloud.GCPInstance{Name: spec.Name, Path: "projects/corp-prod/zones/us-central1-a/instances/" + spec.Name,
		Status: "PROVISIONING", Network: "projects/corp-prod/global/networks/vpc", NetworkIP: "10.10.0.2",
		Tags: maps.Clone(spec.Tags)}
	n.inst.Tags[cloud.TagRequest] = spec.RequestID
	return *n.inst, nil
}

func (n *network) FindInstanceGroup(context.Context, string, string) (*cloud.GCPInstanceGroup, error) {
	return n.group, nil
}

func (n *network) CreateInstanceGroup(_ context.Context, spec cloud.GCPInstanceGroupSpec) (cloud.GCPInstanceGroup, error) {
	n.group = &cloud.GCPInstanceGroup{Name: spec.Name, Path: "projects/corp-prod/zones/us-central1-a/instanceGroups/" + spec.Name,
		Tags: map[string]string{cloud.TagRequest: spec.RequestID, cloud.TagExecution: spec.Tags[cloud.TagExecution]}}
	return *n.group, nil
}

func (n *network) AddInstanceToGroup(_ context.Context, _, _, instance string) error {
	n.added = append(n.added, instance)
	n.group.Instances = append(n.group.Instances, "projects/corp-prod/zones/us-central1-a/instances/"+instance)
	return nil
}

func run(t *testing.T, fake *network, g request.GCP) (Output, error) {
	t.Helper()
	return runWithUpstream(t, fake, g, "pypi.corp.example.com:443")
}

// runWithUpstream runs the step for a request with gcp.upstream upstream.
func runWithUpstream(t *testing.T, fake *network, g request.GCP, upstream string) (Output, error) {
	t.Helper()
	g.Project, g.Region, g.Zone, g.Network, g.Subnet = "corp-prod", "us-central1", "us-central1-a", "vpc", "apps"
	g.Upstream, g.MachineType, g.Image = upstream, "e2-small", "projects/debian-cloud/global/images/family/debian-12"
	g.PSCSubnet, g.PSCSubnetCIDR = "psc-nat", "192.168.255.0/28"
	env := &workflow.Env{GCP: func(context.Context, string) (cloud.GCPNetwork, error) { return fake, nil }}
	doc := workflow.Document{
		Request:   request.Request{ID: "T-1", Repository: request.Repository{IndexURL: "https://pypi.corp.example.com/simple/"}, GCP: &g},
		Execution: "exec-1",
	}
	return Run(context.Background(), env, doc)
}

func TestRunLaunchesProxyAndWaits(t *testing.T) {
	fake := &network{}
	_, err := run(t, fake, request.GCP{Proxy: "nginx"})
	if workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("error %v, want NotReady while PROVISIONING", err)
	}
	if len(fake.created) != 1 {
		t.Fatalf("created %d VMs, want 1", len(fake.created))
	}
	spec := fake.created[0]
	cfg, err := proxy.ParseUserData(spec.StartupScript)
	if err != nil || cfg.Upstream != "pypi.corp.example.com:443" || strings.Join(cfg.Hosts, ",") != "pypi.corp.example.com" {
		t.Errorf("startup script config = %+v, %v", cfg, err)
	}
	if len(spec.NetworkTags) != 1 || spec.ClientToken == "" {
		t.Errorf("spec = %+v; want a network tag and a client token", spec)
	}

	fake.inst.Status = "RUNNING"
	out, err := run(t, fake, request.GCP{Proxy: "nginx"})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Created || out.PrivateIP != "10.10.0.2" || out.InstanceGroup != fake.group.Path || len(fake.added) != 1 {
		t.Errorf("output %+v, added %v", out, fake.added)
	}
	if _, err := run(t, fake, request.GCP{Proxy: "nginx"}); err != nil || len(fake.added) != 1 || len(fake.created) != 1 {
		t.Errorf("second run: %v, %d added, %d created; want nothing new", err, len(fake.added), len(fake.created))
	}
}

func TestRunProxyNone(t *testing.T) {
	repo := &cloud.GCPInstance{Name: "repository", Path: "projects/corp-prod/zones/us-central1-a/instances/repository", Status: "RUNNING",
		Network: "projects/corp-prod/global/networks/vpc", NetworkIP: "10.20.0.25", NetworkTags: []string{"web", "pypi"}}
	tests := []struct {
		name    string
		byIP    *cloud.GCPInstance
		wantErr string
	}{
		{"repository VM found", repo, ""},
		{"no VM at the address", nil, workflow.ErrInvalidRequest},
		{"VM in another network", &cloud.GCPInstance{Path: repo.Path, Status: "RUNNING", Network: "projects/corp-prod/global/networks/other",
			NetworkTags: []string{"pypi"}}, workflow.ErrInvalidRequest},
		{"VM without the target tag", &cloud.GCPInstance{Path: repo.Path, Status: "RUNNING", Network: repo.Network, NetworkTags: []string{"web"}}, workflow.ErrInvalidRequest},
		{"VM stopped", &cloud.GCPInstance{Path: repo.Path, Status: "TERMINATED", Network: repo.Network, NetworkTags: []string{"pypi"}}, workflow.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &network{byIP: tt.byIP}
			out, err := run(t, fake, request.GCP{Proxy: "none", TargetAddress: "10.20.0.25", TargetTags: []string{"pypi"}})
			if got := workflow.NameOf(err); got != tt.wantErr {
				t.Fatalf("error %v named %q, want %q", err, got, tt.wantErr)
			}
			if teardown := tt.name == "no VM at the address" || tt.name == "VM in another network"; teardown {
				if !strings.Contains(err.Error(), "run 'repolink teardown exec-1'") {
					t.Errorf("error %q does not advise the teardown of exec-1 first", err)
				}
				if !workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
					t.Errorf("NeedsTeardownFirst is false for %q", err)
				}
			}
			if len(fake.created) != 0 {
				t.Error("a proxy VM was created with proxy none")
			}
			if err == nil && (len(fake.added) != 1 || fake.added[0] != "repository") {
				t.Errorf("added %v; want the repository VM in the group", fake.added)
			}
			if err == nil && (out.ID != fake.group.Path || out.Action != workflow.Created) {
				t.Errorf("result %+v; want the created instance group %s, not the repository VM", out.Result, fake.group.Path)
			}
		})
	}
}

func TestRunChangedUpstreamConflicts(t *testing.T) {
	fake := &network{}
	if _, err := run(t, fake, request.GCP{Proxy: "nginx"}); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("first Run = %v, want NotReady while the VM provisions", err)
	}
	fake.inst.Status = "RUNNING"

	changed := request.GCP{Proxy: "nginx"}
	_, err := runWithUpstream(t, fake, changed, "10.9.9.9:8443")
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run with a changed upstream = %v, want Conflict", err)
	}
	for _, want := range []string{"forwards to pypi.corp.example.com:443", "gcp.upstream is 10.9.9.9:8443"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if len(fake.created) != 1 {
		t.Errorf("created %d VMs, want only the first", len(fake.created))
	}

	if _, err := run(t, fake, request.GCP{Proxy: "nginx"}); err != nil {
		t.Errorf("Run with the original upstream: %v", err)
	}
}

func TestRunOtherGroupMemberConflicts(t *testing.T) {
	repo := &cloud.GCPInstance{Name: "repo-vm", Path: "projects/corp-prod/zones/us-central1-a/instances/repo-vm", Status: "RUNNING",
		Network: "projects/corp-prod/global/networks/vpc", NetworkIP: "10.10.0.7", NetworkTags: []string{"pypi"}}
	old := "projects/corp-prod/zones/us-central1-a/instances/old-repo-vm"
	fake := &network{byIP: repo, group: &cloud.GCPInstanceGroup{Name: "g", Path: "projects/corp-prod/zones/us-central1-a/instanceGroups/g",
		Instances: []string{old}, Tags: map[string]string{cloud.TagRequest: "T-1"}}}

	_, err := run(t, fake, request.GCP{Proxy: "none", TargetAddress: "10.10.0.7", TargetTags: []string{"pypi"}})
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run with an earlier VM in the group = %v, want Conflict", err)
	}
	if !strings.Contains(err.Error(), old) {
		t.Errorf("error %q does not name %s", err, old)
	}
	if len(fake.added) != 1 || fake.added[0] != "repo-vm" {
		t.Errorf("added %v, want the requested VM", fake.added)
	}
}

func TestRunChecksPSCSubnetFirst(t *testing.T) {
	apps := cloud.GCPSubnetwork{Name: "apps", Path: "projects/corp-prod/regions/us-central1/subnetworks/apps", Region: "us-central1",
		Network: "projects/corp-prod/global/networks/vpc", IPCIDRRange: "192.168.0.0/16", Purpose: "PRIVATE"}
	pscOther := cloud.GCPSubnetwork{Name: "psc-nat", Path: "projects/corp-prod/regions/us-central1/subnetworks/psc-nat", Region: "us-central1",
		Network: "projects/corp-prod/global/networks/vpc", IPCIDRRange: "192.168.250.0/28", Purpose: cloud.GCPPurposePSC}
	tests := []struct {
		name    string
		subnets []cloud.GCPSubnetwork
		want    []string
	}{
		{"existing subnet with another range", []cloud.GCPSubnetwork{pscOther},
			[]string{"$.gcp.psc_subnet_cidr is 192.168.255.0/28", "has the range 192.168.250.0/28", "set $.gcp.psc_subnet_cidr to 192.168.250.0/28"}},
		{"range overlaps another subnet", []cloud.GCPSubnetwork{apps},
			[]string{"$.gcp.psc_subnet_cidr 192.168.255.0/28 overlaps the range 192.168.0.0/16", apps.Path}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &network{subnets: tt.subnets}
			_, err := run(t, fake, request.GCP{Proxy: "nginx"})
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Fatalf("error %v, want InvalidRequest", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if !strings.Contains(err.Error(), "run 'repolink teardown exec-1'") {
				t.Errorf("error %q does not advise the teardown of exec-1 first", err)
			}
			if len(fake.created) != 0 {
				t.Errorf("VMs created before the check failed: %+v", fake.created)
			}
		})
	}
}

func TestRunRejectsVMInOtherRequestsGroup(t *testing.T) {
	repo := &cloud.GCPInstance{Name: "repository", Path: "projects/corp-prod/zones/us-central1-a/instances/repository", Status: "RUNNING",
		Network: "projects/corp-prod/global/networks/vpc", NetworkIP: "10.20.0.25", NetworkTags: []string{"pypi"}}
	other := cloud.GCPInstanceGroup{Name: "rl-data-5001-ig", Path: "projects/corp-prod/zones/us-central1-a/instanceGroups/rl-data-5001-ig",
		Instances: []string{repo.Path}, Tags: map[string]string{cloud.TagRequest: "DATA-5001"}}
	fake := &network{byIP: repo, others: []cloud.GCPInstanceGroup{other}}

	_, err := run(t, fake, request.GCP{Proxy: "none", TargetAddress: "10.20.0.25", TargetTags: []string{"pypi"}})
	if workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Fatalf("Run with the VM in another request's group = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.gcp.target_address 10.20.0.25", other.Path, "request DATA-5001", "tear down request DATA-5001", "$.gcp.proxy to nginx"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if fake.group != nil || len(fake.added) != 0 {
		t.Errorf("group %+v built and %v added before the check failed", fake.group, fake.added)
	}
}
