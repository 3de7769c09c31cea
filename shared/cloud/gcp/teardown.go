package gcp

import (
	"context"
	"errors"
	"strings"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/repolink/repolink/shared/workflow"
)

// inUse reports whether a delete failed because another resource still
// uses the resource: the resourceInUseByAnotherResource reason of the
// call, or the RESOURCE_IN_USE_BY_ANOTHER_RESOURCE code of its operation.
func inUse(err error) bool {
	if strings.EqualFold(reasonOf(err), "resourceInUseByAnotherResource") {
		return true
	}
	var opErr *operationError
	return errors.As(err, &opErr) && strings.Contains(strings.ToUpper(opErr.code), "IN_USE")
}

// remove sends one delete call and waits for its operation. A resource
// that is already gone counts as removed, and one that another resource
// uses gives NotReady, so that teardown waits for the user to go first.
func (n *Network) remove(ctx context.Context, what string, send func(context.Context) (*compute.Operation, error)) error {
	callCtx, cancel := n.p.call(ctx)
	op, err := send(callCtx)
	cancel()
	if err == nil {
		err = n.p.wait(ctx, op)
	}
	switch {
	case err == nil, isNotFound(err):
		return nil
	case inUse(err):
		return &stepError{
			named: &workflow.Error{Name: workflow.ErrNotReady, Message: "gcp: " + what + " in project " + n.project + ": " + describe(err)},
			cause: err,
		}
	}
	return classify(err, n.project, "%s", what)
}

// DeleteServiceAttachment deletes the service attachment.
func (n *Network) DeleteServiceAttachment(ctx context.Context, region, name string) error {
	return n.remove(ctx, "delete service attachment "+name, func(ctx context.Context) (*compute.Operation, error) {
		return n.p.serviceAttachments.Delete(ctx, &computepb.DeleteServiceAttachmentRequest{Project: n.project, Region: region, ServiceAttachment: name})
	})
}

// DeleteForwardingRule deletes the regional forwarding rule.
func (n *Network) DeleteForwardingRule(ctx context.Context, region, name string) error {
	return n.remove(ctx, "delete forwarding rule "+name, func(ctx context.Context) (*compute.Operation, error) {
		return n.p.forwardingRules.Delete(ctx, &computepb.DeleteForwardingRuleRequest{Project: n.project, Region: region, ForwardingRule: name})
	})
}

// DeleteBackendService deletes the regional backend service.
func (n *Network) DeleteBackendService(ctx context.Context, region, name string) error {
	return n.remove(ctx, "delete backend service "+name, func(ctx context.Context) (*compute.Operation, error) {
		return n.p.backendServices.Delete(ctx, &computepb.DeleteRegionBackendServiceRequest{Project: n.project, Region: region, BackendService: name})
	})
}

// DeleteHealthCheck deletes the regional health check.
func (n *Network) DeleteHealthCheck(ctx context.Context, region, name string) error {
	return n.remove(ctx, "delete health check "+name, func(ctx context.Context) (*compute.Operation, error) {
		return n.p.healthChecks.Delete(ctx, &computepb.DeleteRegionHealthCheckRequest{Project: n.project, Region: region, HealthCheck: name})
	})
}

// DeleteFirewallRule deletes the VPC firewall rule.
func (n *Network) DeleteFirewallRule(ctx context.Context, name string) error {
	return n.remove(ctx, "delete firewall rule "+name, func(ctx context.Context) (*compute.Operation, error) {
		return n.p.firewalls.Delete(ctx, &computepb.DeleteFirewallRequest{Project: n.project, Firewall: name})
	})
}

// DeleteInstanceGroup deletes the unmanaged instance group; its member
// instances stay.
func (n *Network) DeleteInstanceGroup(ctx context.Context, zone, name string) error {
	return n.remove(ctx, "delete instance group "+name, func(ctx context.Context) (*compute.Operation, error) {
		return n.p.instanceGroups.Delete(ctx, &computepb.DeleteInstanceGroupRequest{Project: n.project, Zone: zone, InstanceGroup: name})
	})
}

// DeleteInstance deletes the VM and the boot disk that is set to go with
// it.
func (n *Network) DeleteInstance(ctx context.Context, zone, name string) error {
	return n.remove(ctx, "delete instance "+name, func(ctx context.Context) (*compute.Operation, error) {
		return n.p.instances.Delete(ctx, &computepb.DeleteInstanceRequest{Project: n.project, Zone: zone, Instance: name})
	})
}

// DeleteSubnetwork deletes the subnet.
func (n *Network) DeleteSubnetwork(ctx context.Context, region, name string) error {
	return n.remove(ctx, "delete subnetwork "+name, func(ctx context.Context) (*compute.Operation, error) {
		return n.p.subnetworks.Delete(ctx, &computepb.DeleteSubnetworkRequest{Project: n.project, Region: region, Subnetwork: name})
	})
}
