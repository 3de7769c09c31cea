// Package gcproute holds what the steps of the gcp-privatelink route share:
// the deterministic names of the resources they build, resource paths
// derived from the request, the adapter lookup and the ownership check.
package gcproute

import (
	"context"
	"strings"

	"github.com/repolink/repolink/functions/internal/cloudresource"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// Resolver is the DNS server that a Compute Engine VM reaches inside every
// VPC network, which the proxy VM's nginx uses for the upstream.
const Resolver = "169.254.169.254"

// ProxyPort is the port that the load balancer forwards and the proxy or
// the repository serves.
const ProxyPort = 443

// Names are the deterministic names of the Compute Engine resources of a
// request. Each is at most 63 characters of lower-case letters, digits and
// hyphens, starting with a letter, as Compute Engine requires.
type Names struct {
	VM                string
	InstanceGroup     string
	HealthCheck       string
	HealthFirewall    string
	NATFirewall       string
	BackendService    string
	ForwardingRule    string
	ServiceAttachment string
	// NetworkTag marks the proxy VM, so that the firewall rules open only
	// it.
	NetworkTag string
}

// NamesFor derives the names for a request: a readable part of the request
// ID and a hash of the whole ID, so that two IDs that read alike still get
// distinct names.
func NamesFor(req request.Request) Names {
	prefix := cloudresource.NamePrefix(req.ID, 36)
	return Names{
		VM:                prefix + "-proxy",
		InstanceGroup:     prefix + "-ig",
		HealthCheck:       prefix + "-hc",
		HealthFirewall:    prefix + "-allow-hc",
		NATFirewall:       prefix + "-allow-psc",
		BackendService:    prefix + "-bs",
		ForwardingRule:    prefix + "-fr",
		ServiceAttachment: prefix + "-sa",
		NetworkTag:        prefix + "-proxy",
	}
}

// NetworkPath returns the path of the request's VPC network.
func NetworkPath(g *request.GCP) string {
	return "projects/" + g.Project + "/global/networks/" + g.Network
}

// ServiceAttachmentPath returns the path of the request's service
// attachment, which SYSTEM$PROVISION_PRIVATELINK_ENDPOINT takes.
func ServiceAttachmentPath(g *request.GCP, names Names) string {
	return "projects/" + g.Project + "/regions/" + g.Region + "/serviceAttachments/" + names.ServiceAttachment
}

// Network returns the Compute Engine adapter for the request's project.
func Network(ctx context.Context, env *workflow.Env, req request.Request) (cloud.GCPNetwork, error) {
	if req.GCP == nil {
		return nil, workflow.Invalid("the gcp-privatelink route needs the gcp block in the request")
	}
	if env.GCP == nil {
		return nil, workflow.Invalid("this platform has no Google Cloud adapter configured")
	}
	return env.GCP(ctx, req.GCP.Project)
}

// CheckOwner returns Conflict when a resource found by name carries another
// request's tag, so that a step never adopts what another request built.
func CheckOwner(kind, path string, tags map[string]string, requestID string) error {
	return cloudresource.CheckAdopt(kind, path, tags, requestID)
}

// Combine returns the action of a step that manages several resources:
// created when it created any, else updated when it changed any, else
// adopted.
func Combine(actions ...string) string {
	out := workflow.Adopted
	for _, a := range actions {
		switch {
		case a == workflow.Created:
			return workflow.Created
		case a == workflow.Updated:
			out = workflow.Updated
		}
	}
	return out
}

// SamePath reports whether two references name the same resource, whether
// they are self links or paths.
func SamePath(a, b string) bool {
	return trimLink(a) == trimLink(b)
}

func trimLink(ref string) string {
	if i := strings.Index(ref, "/compute/v1/"); i >= 0 && strings.Contains(ref[:i], "://") {
		ref = ref[i+len("/compute/v1/"):]
	}
	return strings.TrimPrefix(ref, "/")
}
