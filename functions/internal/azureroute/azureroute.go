// Package azureroute holds what the steps of the azure-privatelink route
// share: the deterministic names of the resources they build, resource IDs
// derived from the request, and the adapter lookup.
package azureroute

import (
	"context"
	"strings"

	"github.com/repolink/repolink/functions/internal/cloudresource"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// Resolver is the DNS server of every Azure virtual network, which the
// proxy VM's nginx uses for the upstream.
const Resolver = "168.63.129.16"

// Names are the deterministic names of the Azure resources of a request.
// Every name fits Azure's limits: 64 characters for a Linux VM and 80 for
// network resources.
type Names struct {
	VM               string
	NetworkInterface string
	LoadBalancer     string
	Frontend         string
	BackendPool      string
	Probe            string
	Rule             string
	LinkService      string
	NATConfig        string
}

// NamesFor derives the names for a request: a readable part of the request
// ID and a hash of the whole ID, so that two IDs that read alike still get
// distinct names.
func NamesFor(req request.Request) Names {
	prefix := cloudresource.NamePrefix(req.ID, 40)
	return Names{
		VM:               prefix + "-proxy",
		NetworkInterface: prefix + "-proxy-nic",
		LoadBalancer:     prefix + "-lb",
		Frontend:         "frontend",
		BackendPool:      "proxies",
		Probe:            "tcp-443",
		Rule:             "tcp-443",
		LinkService:      prefix + "-pls",
		NATConfig:        "nat",
	}
}

// VNetID returns the resource ID of the request's virtual network.
func VNetID(a *request.Azure) string {
	return "/subscriptions/" + a.SubscriptionID + "/resourceGroups/" + a.ResourceGroup +
		"/providers/Microsoft.Network/virtualNetworks/" + a.VNetName
}

// SubnetID returns the resource ID of a subnet of the request's virtual
// network.
func SubnetID(a *request.Azure, subnet string) string {
	return VNetID(a) + "/subnets/" + subnet
}

// LoadBalancerID returns the resource ID of the request's load balancer.
func LoadBalancerID(a *request.Azure, names Names) string {
	return "/subscriptions/" + a.SubscriptionID + "/resourceGroups/" + a.ResourceGroup +
		"/providers/Microsoft.Network/loadBalancers/" + names.LoadBalancer
}

// Network returns the Azure adapter for the request's subscription.
func Network(ctx context.Context, env *workflow.Env, req request.Request) (cloud.AzureNetwork, error) {
	if req.Azure == nil {
		return nil, workflow.Invalid("the azure-privatelink route needs the azure block in the request")
	}
	if env.Azure == nil {
		return nil, workflow.Invalid("this platform has no Azure adapter configured")
	}
	return env.Azure(ctx, req.Azure.SubscriptionID)
}

// CheckOwner returns Conflict when a resource found by name carries
// another request's tag, so that a step never adopts what another request
// built.
func CheckOwner(kind, id string, tags map[string]string, requestID string) error {
	return cloudresource.CheckAdopt(kind, id, tags, requestID)
}

// Progress maps a provisioning state to a step outcome: nil when it
// Succeeded, NotReady while an operation runs, and Conflict when it Failed.
func Progress(kind, id, state string) error {
	switch strings.ToLower(state) {
	case "succeeded":
		return nil
	case "failed":
		return workflow.Errorf(workflow.ErrConflict,
			"%s %s failed to provision; check its activity log, delete it and redrive the run so that it is created again", kind, id)
	case "deleting":
		return workflow.Errorf(workflow.ErrConflict, "%s %s is being deleted; redrive the run once it is gone", kind, id)
	}
	if state == "" {
		state = "not visible yet"
	}
	return workflow.NotReady("%s %s is %s; waiting for Succeeded", kind, id, state)
}
