// Package gcpproxyvm creates the Compute Engine proxy VM that runs the
// TLS-passthrough nginx stream proxy in front of the package index, and
// the unmanaged instance group that the load balancer uses as its backend.
// With proxy none the group holds the repository's own VM instead.
package gcpproxyvm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/functions/internal/gcproute"
	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/proxy"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the VM behind the load balancer and its instance group.
type Output struct {
	workflow.ProxyVM
	InstanceGroup string `json:"instance_group"`
}

// Run checks the request's Private Service Connect NAT subnet and finds or
// creates the proxy VM, or finds the repository VM by its address for proxy
// none. It returns NotReady until the VM is RUNNING, then puts it into the
// request's unmanaged instance group.
//
// NOTE: the proxy VM gets no external address. It reaches the upstream and
// the nginx image registry through the VPC's egress, such as Cloud NAT.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	network, err := gcproute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	g := req.GCP
	names := gcproute.NamesFor(req)

	// The service attachment step would find a wrong NAT subnet only after
	// the VM and the load balancer exist, so the first step checks it.
	if err := gcproute.CheckPSCSubnet(ctx, network, req, in.Execution); err != nil {
		return Output{}, err
	}
	inst, vmAction, err := findOrCreateVM(ctx, network, in, names)
	if err != nil {
		return Output{}, err
	}
	if !gcproute.SamePath(inst.Network, gcproute.NetworkPath(g)) {
		return Output{}, workflow.Invalid("VM %s is in network %s, not %s; set $.gcp.network to the VM's network. %s",
			inst.Path, inst.Network, gcproute.NetworkPath(g), workflow.PlacementChangeFix("$.gcp.network", in.Execution))
	}
	switch inst.Status {
	case "RUNNING":
	case "PROVISIONING", "STAGING", "":
		return Output{}, workflow.NotReady("VM %s is %s; waiting for RUNNING", inst.Path, orUnknown(inst.Status))
	default:
		return Output{}, workflow.Errorf(workflow.ErrConflict,
			"VM %s is %s; start it again, or delete the proxy VM so that a new one is created", inst.Path, inst.Status)
	}

	group, groupAction, err := ensureGroup(ctx, network, in, names, inst)
	if err != nil {
		return Output{}, err
	}
	// With proxy none the step builds only the group around a VM that
	// exists already, so its result names the group, not the VM.
	result := workflow.Result{
		Action:  gcproute.Combine(vmAction, groupAction),
		ID:      inst.Path,
		Related: []workflow.Result{{Action: groupAction, ID: group.Path}},
	}
	if g.Proxy == "none" {
		result = workflow.Result{Action: groupAction, ID: group.Path}
	}
	return Output{
		ProxyVM: workflow.ProxyVM{
			Result:    result,
			PrivateIP: inst.NetworkIP,
		},
		InstanceGroup: group.Path,
	}, nil
}

// findOrCreateVM returns the VM behind the load balancer and the step's
// action on it.
func findOrCreateVM(ctx context.Context, network cloud.GCPNetwork, in workflow.Document, names gcproute.Names) (*cloud.GCPInstance, string, error) {
	req := in.Request
	g := req.GCP
	if g.Proxy == "none" {
		inst, err := network.FindInstanceByIP(ctx, g.Zone, g.TargetAddress)
		if err != nil {
			return nil, "", fmt.Errorf("find the VM with address %s: %w", g.TargetAddress, err)
		}
		if inst == nil {
			// A changed gcp.target_address alone is accepted, but a changed
			// gcp.zone is not while the resources of this run exist.
			return nil, "", workflow.Invalid("no VM in zone %s has the internal address %s; an internal passthrough load balancer reaches only VMs, "+
				"so set $.gcp.target_address to the repository VM's address. When the VM is in another zone, set $.gcp.zone to that zone: %s",
				g.Zone, g.TargetAddress, workflow.PlacementChangeFix("$.gcp.zone", in.Execution))
		}
		// The firewall rules of the health checks and the Private Service
		// Connect subnet target gcp.target_tags, so a VM without one of
		// them would never turn healthy.
		if !slices.ContainsFunc(g.TargetTags, func(tag string) bool { return slices.Contains(inst.NetworkTags, tag) }) {
			return nil, "", workflow.Invalid("VM %s has network tags %v and none of $.gcp.target_tags %v, so the firewall rules would not reach it; add one of those tags to the VM or set $.gcp.target_tags to one of its tags",
				inst.Path, inst.NetworkTags, g.TargetTags)
		}
		if err := gcproute.CheckTargetVMGroups(ctx, network, req, inst); err != nil {
			return nil, "", err
		}
		return inst, workflow.Adopted, nil
	}

	hosts, err := proxyvm.ProxyHosts(req.Repository.IndexURL, req.Repository.ExtraAllowedPrefixes)
	if err != nil {
		return nil, "", err
	}
	inst, err := network.FindInstance(ctx, g.Zone, names.VM)
	if err != nil {
		return nil, "", fmt.Errorf("find proxy VM %s: %w", names.VM, err)
	}
	if inst == nil {
		script, err := StartupScript(req)
		if err != nil {
			return nil, "", err
		}
		created, err := network.CreateInstance(ctx, cloud.GCPInstanceSpec{
			Name:          names.VM,
			RequestID:     req.ID,
			Zone:          g.Zone,
			MachineType:   g.MachineType,
			Image:         g.Image,
			Network:       g.Network,
			Subnetwork:    g.Subnet,
			StartupScript: script,
			NetworkTags:   []string{names.NetworkTag},
			ClientToken:   names.VM + "-" + in.Execution,
			Tags:          vmTags(in.Execution, settings(g, hosts)),
		})
		if err != nil {
			return nil, "", fmt.Errorf("create proxy VM %s: %w", names.VM, err)
		}
		inst = &created
	}
	if err := gcproute.CheckOwner("VM", inst.Path, inst.Tags, req.ID); err != nil {
		return nil, "", err
	}
	if err := proxyvm.CheckSettings(inst.Path, in.Execution, inst.Tags, settings(g, hosts)); err != nil {
		return nil, "", err
	}
	return inst, workflow.ActionFor(inst.Tags, in.Execution), nil
}

// vmTags returns the tags of a new proxy VM: the execution and the settings
// that proxyvm.CheckSettings compares on later runs.
func vmTags(execution string, settings []proxyvm.Setting) map[string]string {
	tags := proxyvm.SettingsTags(settings)
	tags[cloud.TagExecution] = execution
	return tags
}

// settings returns the settings that the proxy VM records.
func settings(g *request.GCP, hosts []string) []proxyvm.Setting {
	return append(proxyvm.Settings("$.gcp.upstream", g.Upstream, hosts),
		proxyvm.Setting{Field: "$.gcp.machine_type", Tag: proxyvm.TagMachine, Value: g.MachineType},
		proxyvm.Setting{Field: "$.gcp.image", Tag: proxyvm.TagImage, Value: g.Image})
}

// ensureGroup finds or creates the unmanaged instance group and adds the VM
// to it.
func ensureGroup(ctx context.Context, network cloud.GCPNetwork, in workflow.Document, names gcproute.Names, inst *cloud.GCPInstance) (*cloud.GCPInstanceGroup, string, error) {
	req := in.Request
	g := req.GCP
	group, err := network.FindInstanceGroup(ctx, g.Zone, names.InstanceGroup)
	if err != nil {
		return nil, "", fmt.Errorf("find instance group %s: %w", names.InstanceGroup, err)
	}
	if group == nil {
		created, err := network.CreateInstanceGroup(ctx, cloud.GCPInstanceGroupSpec{
			Name:      names.InstanceGroup,
			RequestID: req.ID,
			Zone:      g.Zone,
			Network:   g.Network,
			Tags:      map[string]string{cloud.TagExecution: in.Execution},
		})
		if err != nil {
			return nil, "", fmt.Errorf("create instance group %s: %w", names.InstanceGroup, err)
		}
		group = &created
	}
	if err := gcproute.CheckOwner("instance group", group.Path, group.Tags, req.ID); err != nil {
		return nil, "", err
	}
	action := workflow.ActionFor(group.Tags, in.Execution)
	if !slices.ContainsFunc(group.Instances, func(p string) bool { return gcproute.SamePath(p, inst.Path) }) {
		if err := network.AddInstanceToGroup(ctx, g.Zone, names.InstanceGroup, inst.Name); err != nil {
			return nil, "", fmt.Errorf("add VM %s to instance group %s: %w", inst.Name, names.InstanceGroup, err)
		}
		action = gcproute.Combine(action, workflow.Updated)
	}
	var others []string
	for _, member := range group.Instances {
		if !gcproute.SamePath(member, inst.Path) {
			others = append(others, member)
		}
	}
	// The group records no member list of its own, so the step cannot tell
	// a VM that an earlier run added from one that someone else added, and
	// leaves the removal to a person.
	if len(others) > 0 {
		return nil, "", workflow.Errorf(workflow.ErrConflict,
			"instance group %s also sends traffic to %s, which the request does not name, such as the VM of an earlier $.gcp.target_address; remove those VMs from the group and run again",
			group.Path, strings.Join(others, ", "))
	}
	return group, action, nil
}

// StartupScript renders the proxy VM's startup script for the index host
// and the hosts of the extra allowed prefixes.
func StartupScript(req request.Request) (string, error) {
	hosts, err := proxyvm.ProxyHosts(req.Repository.IndexURL, req.Repository.ExtraAllowedPrefixes)
	if err != nil {
		return "", err
	}
	return proxy.StartupScriptDebian(proxy.Config{
		Listen:         gcproute.ProxyPort,
		Hosts:          hosts,
		Upstream:       req.GCP.Upstream,
		Resolver:       gcproute.Resolver,
		ResolverValid:  30 * time.Second,
		HealthPort:     proxyvm.HealthPort,
		ConnectTimeout: 10 * time.Second,
		Timeout:        5 * time.Minute,
	})
}

func orUnknown(s string) string {
	if s == "" {
		return "not visible yet"
	}
	return s
}
