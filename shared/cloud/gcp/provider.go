// Package gcp is the Compute Engine adapter behind cloud.GCPNetwork and the
// Google Cloud cloud.Firewall, built on the REST clients of
// cloud.google.com/go/compute/apiv1. It manages instances and unmanaged
// instance groups for the proxy VM, a regional health check, VPC firewall
// rules, the regional backend service and forwarding rule of the internal
// passthrough load balancer, and a Private Service Connect subnet and
// service attachment. Every insert, patch and update waits for its
// operation.
package gcp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"google.golang.org/api/option"
)

// Default timeouts. The Get and List calls of the Compute client retry 503
// and 504 with no limit on attempts, so every call runs under a deadline.
const (
	DefaultCallTimeout      = time.Minute
	DefaultOperationTimeout = 10 * time.Minute
)

// Options configures the Compute Engine clients.
type Options struct {
	// Endpoint overrides the Compute Engine endpoint, such as
	// "http://127.0.0.1:40123" for the sandbox. The client appends
	// /compute/v1/, so a trailing slash is removed. Empty means the
	// default endpoint.
	Endpoint string
	// ClientOptions are passed to every client, such as
	// option.WithoutAuthentication() for the sandbox or credentials.
	ClientOptions []option.ClientOption
	// CallTimeout bounds one API call; zero means DefaultCallTimeout.
	CallTimeout time.Duration
	// OperationTimeout bounds the wait for one operation; zero means
	// DefaultOperationTimeout.
	OperationTimeout time.Duration
}

// Provider holds the Compute Engine clients. It is safe for concurrent use.
type Provider struct {
	callTimeout time.Duration
	opTimeout   time.Duration

	instances          *compute.InstancesClient
	instanceGroups     *compute.InstanceGroupsClient
	healthChecks       *compute.RegionHealthChecksClient
	firewalls          *compute.FirewallsClient
	backendServices    *compute.RegionBackendServicesClient
	forwardingRules    *compute.ForwardingRulesClient
	subnetworks        *compute.SubnetworksClient
	networks           *compute.NetworksClient
	serviceAttachments *compute.ServiceAttachmentsClient
	regions            *compute.RegionsClient
	machineTypes       *compute.MachineTypesClient
	closers            []interface{ Close() error }
}

// New builds the REST clients.
func New(ctx context.Context, opts Options) (*Provider, error) {
	clientOpts := append([]option.ClientOption(nil), opts.ClientOptions...)
	if opts.Endpoint != "" {
		clientOpts = append(clientOpts, option.WithEndpoint(strings.TrimRight(opts.Endpoint, "/")))
	}
	p := &Provider{callTimeout: opts.CallTimeout, opTimeout: opts.OperationTimeout}
	if p.callTimeout <= 0 {
		p.callTimeout = DefaultCallTimeout
	}
	if p.opTimeout <= 0 {
		p.opTimeout = DefaultOperationTimeout
	}

	var err error
	if p.instances, err = compute.NewInstancesRESTClient(ctx, clientOpts...); err != nil {
		return nil, p.failed("instances", err)
	}
	p.closers = append(p.closers, p.instances)
	if p.instanceGroups, err = compute.NewInstanceGroupsRESTClient(ctx, clientOpts...); err != nil {
		return nil, p.failed("instance groups", err)
	}
	p.closers = append(p.closers, p.instanceGroups)
	if p.healthChecks, err = compute.NewRegionHealthChecksRESTClient(ctx, clientOpts...); err != nil {
		return nil, p.failed("health checks", err)
	}
	p.closers = append(p.closers, p.healthChecks)
	if p.firewalls, err = compute.NewFirewallsRESTClient(ctx, clientOpts...); err != nil {
		return nil, p.failed("firewalls", err)
	}
	p.closers = append(p.closers, p.firewalls)
	if p.backendServices, err = compute.NewRegionBackendServicesRESTClient(ctx, clientOpts...); err != nil {
		return nil, p.failed("backend services", err)
	}
	p.closers = append(p.closers, p.backendServices)
	if p.forwardingRules, err = compute.NewForwardingRulesRESTClient(ctx, clientOpts...); err != nil {
		return nil, p.failed("forwarding rules", err)
	}
	p.closers = append(p.closers, p.forwardingRules)
	if p.subnetworks, err = compute.NewSubnetworksRESTClient(ctx, clientOpts...); err != nil {
		return nil, p.failed("subnetworks", err)
	}
	p.closers = append(p.closers, p.subnetworks)
	if p.networks, err = compute.NewNetworksRESTClient(ctx, clientOpts...); err != nil {
		return nil, p.failed("networks", err)
	}
	p.closers = append(p.closers, p.networks)
	if p.serviceAttachments, err = compute.NewServiceAttachmentsRESTClient(ctx, clientOpts...); err != nil {
		return nil, p.failed("service attachments", err)
	}
	p.closers = append(p.closers, p.serviceAttachments)
	if p.regions, err = compute.NewRegionsRESTClient(ctx, clientOpts...); err != nil {
		return nil, p.failed("regions", err)
	}
	p.closers = append(p.closers, p.regions)
	if p.machineTypes, err = compute.NewMachineTypesRESTClient(ctx, clientOpts...); err != nil {
		return nil, p.failed("machine types", err)
	}
	p.closers = append(p.closers, p.machineTypes)
	return p, nil
}

// failed closes the clients built so far and wraps err.
func (p *Provider) failed(client string, err error) error {
	p.Close()
	return fmt.Errorf("gcp: create %s client: %w", client, err)
}

// Close closes every client.
func (p *Provider) Close() error {
	var errs []error
	for _, c := range p.closers {
		errs = append(errs, c.Close())
	}
	p.closers = nil
	return errors.Join(errs...)
}

// Network returns the cloud.GCPNetwork of one project.
func (p *Provider) Network(project string) *Network {
	return &Network{p: p, project: project}
}

// Firewall returns the cloud.Firewall that manages repolink's VPC firewall
// rules, in the project that each target names.
func (p *Provider) Firewall() *Firewall {
	return &Firewall{p: p}
}

// call returns a context bounded by the call timeout.
func (p *Provider) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.callTimeout)
}

// wait waits for op under the operation timeout and reports an error that
// the operation carries even when Wait does not: the Go client's Wait
// succeeds for a DONE operation with errors but no HTTP error status.
func (p *Provider) wait(ctx context.Context, op *compute.Operation) error {
	ctx, cancel := context.WithTimeout(ctx, p.opTimeout)
	defer cancel()
	if err := op.Wait(ctx); err != nil {
		return err
	}
	if opErr := op.Proto().GetError(); opErr != nil && len(opErr.GetErrors()) > 0 {
		first := opErr.GetErrors()[0]
		return &operationError{name: op.Name(), code: first.GetCode(), message: first.GetMessage()}
	}
	return nil
}

// operationError is a failed operation that reported no HTTP error status.
type operationError struct {
	name    string
	code    string
	message string
}

func (e *operationError) Error() string {
	return fmt.Sprintf("operation %s failed: %s: %s", e.name, e.code, e.message)
}
