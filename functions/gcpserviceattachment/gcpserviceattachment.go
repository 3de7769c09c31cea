// Package gcpserviceattachment publishes the load balancer through Private
// Service Connect: it creates or selects the NAT subnet with purpose
// PRIVATE_SERVICE_CONNECT, opens the proxy port to that subnet, and creates
// the service attachment with manual acceptance and PROXY protocol off.
package gcpserviceattachment

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/gcploadbalancer"
	"github.com/repolink/repolink/functions/internal/accountregion"
	"github.com/repolink/repolink/functions/internal/gcproute"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the service attachment. ServiceName is its path, which
// SYSTEM$PROVISION_PRIVATELINK_ENDPOINT takes, and Principal is Snowflake's
// consumer project when SYSTEM$GET_PRIVATELINK_CONFIG names one.
type Output = workflow.EndpointService

// Run checks or creates the NAT subnet, the firewall rule for it and the
// service attachment. An attachment that accepts connections automatically
// or adds a PROXY protocol header is a Conflict: automatic acceptance
// ignores the accept list and admits any project, and a PROXY header breaks
// the TLS passthrough.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	if in.Resources.LoadBalancer == nil {
		return Output{}, workflow.Invalid("the service attachment needs the load balancer; run the gcp_load_balancer step first")
	}
	// Snowflake's endpoint reaches the attachment only from the account's
	// region, so an attachment in another region is not created.
	conn, err := env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		return Output{}, err
	}
	config, err := accountregion.Read(ctx, conn)
	if err != nil {
		return Output{}, err
	}
	if err := accountregion.Compare(req, config, in.Execution); err != nil {
		return Output{}, err
	}
	network, err := gcproute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	g := req.GCP
	names := gcproute.NamesFor(req)

	fr, err := network.FindForwardingRule(ctx, g.Region, names.ForwardingRule)
	if err != nil {
		return Output{}, fmt.Errorf("find forwarding rule %s: %w", names.ForwardingRule, err)
	}
	if fr == nil {
		return Output{}, workflow.NotReady("forwarding rule %s is not visible yet", names.ForwardingRule)
	}
	subnet, subnetAction, err := ensureNATSubnet(ctx, network, in, fr)
	if err != nil {
		return Output{}, err
	}
	// Consumer traffic reaches the backends from the NAT subnet's
	// addresses, which no default rule allows.
	rule, fwAction, err := gcploadbalancer.EnsureFirewall(ctx, network, in, names.NATFirewall, []string{subnet.IPCIDRRange})
	if err != nil {
		return Output{}, err
	}

	sa, err := network.FindServiceAttachment(ctx, g.Region, names.ServiceAttachment)
	if err != nil {
		return Output{}, fmt.Errorf("find service attachment %s: %w", names.ServiceAttachment, err)
	}
	if sa == nil {
		created, err := network.CreateServiceAttachment(ctx, cloud.GCPServiceAttachmentSpec{
			Name: names.ServiceAttachment, RequestID: req.ID, Region: g.Region,
			TargetService: fr.Path, NATSubnets: []string{subnet.Path},
			Tags: map[string]string{cloud.TagExecution: in.Execution},
		})
		if err != nil {
			return Output{}, classifyCreateError(ctx, network, in, err)
		}
		sa = &created
	}
	if err := checkAttachment(sa, fr.Path, req.ID); err != nil {
		return Output{}, err
	}

	project := consumerProjectOf(config)
	return Output{
		Result: workflow.Result{
			Action: gcproute.Combine(subnetAction, fwAction, workflow.ActionFor(sa.Tags, in.Execution)),
			ID:     sa.Path,
			Related: []workflow.Result{
				{Action: subnetAction, ID: subnet.Path},
				{Action: fwAction, ID: rule.Path},
			},
		},
		ServiceName: gcproute.ServiceAttachmentPath(g, names),
		Principal:   project,
	}, nil
}

// ensureNATSubnet selects the request's PSC subnet, or creates it when
// absent, and checks that it has purpose PRIVATE_SERVICE_CONNECT and lies
// in the network and region of the forwarding rule, as a service
// attachment requires.
func ensureNATSubnet(ctx context.Context, network cloud.GCPNetwork, in workflow.Document, fr *cloud.GCPForwardingRule) (*cloud.GCPSubnetwork, string, error) {
	req := in.Request
	g := req.GCP
	subnet, err := network.FindSubnetwork(ctx, g.Region, g.PSCSubnet)
	if err != nil {
		return nil, "", fmt.Errorf("find subnetwork %s: %w", g.PSCSubnet, err)
	}
	action := workflow.Adopted
	if subnet == nil {
		created, err := network.CreateSubnetwork(ctx, cloud.GCPSubnetworkSpec{
			Name: g.PSCSubnet, RequestID: req.ID, Region: g.Region, Network: g.Network,
			IPCIDRRange: g.PSCSubnetCIDR, Purpose: cloud.GCPPurposePSC,
			Tags: map[string]string{cloud.TagExecution: in.Execution},
		})
		if err != nil {
			return nil, "", fmt.Errorf("create Private Service Connect subnet %s: %w", g.PSCSubnet, err)
		}
		subnet = &created
		action = workflow.Created
	} else if subnet.Tags[cloud.TagRequest] == req.ID {
		action = workflow.ActionFor(subnet.Tags, in.Execution)
	}
	// Each fix below is another gcp.psc_subnet or gcp.psc_subnet_cidr,
	// which repolink rejects while the resources of this run exist, so
	// each message ends with the teardown that must come first.
	teardown := workflow.PlacementChangeFix("$.gcp.psc_subnet", in.Execution)
	switch {
	case subnet.Purpose != cloud.GCPPurposePSC:
		return nil, "", workflow.Invalid("subnet %s has purpose %s, but a service attachment takes its NAT addresses from a subnet with purpose %s; "+
			"set $.gcp.psc_subnet to such a subnet, or to a new name so that one is created. %s",
			subnet.Path, orPrivate(subnet.Purpose), cloud.GCPPurposePSC, teardown)
	case !gcproute.SamePath(subnet.Network, fr.Network):
		return nil, "", workflow.Invalid("subnet %s is in network %s, but the forwarding rule %s is in %s; "+
			"set $.gcp.psc_subnet to a Private Service Connect subnet of that network. %s",
			subnet.Path, subnet.Network, fr.Path, fr.Network, teardown)
	case subnet.Region != fr.Region:
		return nil, "", workflow.Invalid("subnet %s is in region %s, but the forwarding rule %s is in %s; "+
			"set $.gcp.psc_subnet to a Private Service Connect subnet of that region. %s",
			subnet.Path, subnet.Region, fr.Path, fr.Region, teardown)
	case !gcproute.SameRange(subnet.IPCIDRRange, g.PSCSubnetCIDR):
		// Adopting the subnet would give the request NAT addresses from
		// another range than the one it states.
		return nil, "", workflow.Errorf(workflow.ErrConflict,
			"$.gcp.psc_subnet_cidr is %s, but the existing Private Service Connect subnet %s has the range %s; "+
				"set $.gcp.psc_subnet_cidr to %s to share that subnet, or set $.gcp.psc_subnet to a new name so that a subnet with %s is created. %s",
			g.PSCSubnetCIDR, subnet.Path, subnet.IPCIDRRange, subnet.IPCIDRRange, g.PSCSubnetCIDR,
			workflow.PlacementChangeFix("$.gcp.psc_subnet_cidr or $.gcp.psc_subnet", in.Execution))
	}
	return subnet, action, nil
}

// classifyCreateError returns the error of a failed attachment insert, or
// NotReady when the NAT subnet is gone since ensureNATSubnet found it.
// Another request's teardown can delete a shared subnet in that moment,
// because it lists the subnet's users before this request's NAT firewall
// rule exists. The retry of this step then creates the subnet again.
//
// NOTE: while the subnet's delete operation still runs, the lookup may
// still find the subnet, and the insert's own error is returned. Which
// error Compute Engine returns for that insert was not observed.
func classifyCreateError(ctx context.Context, network cloud.GCPNetwork, in workflow.Document, err error) error {
	g := in.Request.GCP
	name := gcproute.NamesFor(in.Request).ServiceAttachment
	subnet, findErr := network.FindSubnetwork(ctx, g.Region, g.PSCSubnet)
	if findErr == nil && subnet == nil {
		return workflow.NotReady("create service attachment %s: Private Service Connect subnet %s was deleted after this step found it, such as by the teardown of another request that used it; the retry creates the subnet again",
			name, g.PSCSubnet)
	}
	return fmt.Errorf("create service attachment %s: %w", name, err)
}

func orPrivate(purpose string) string {
	if purpose == "" {
		return "PRIVATE"
	}
	return purpose
}

// checkAttachment rejects an attachment that is not repolink's, that
// accepts connections automatically, that adds a PROXY protocol header or
// that publishes another forwarding rule.
func checkAttachment(sa *cloud.GCPServiceAttachment, forwardingRule, requestID string) error {
	if err := gcproute.CheckOwner("service attachment", sa.Path, sa.Tags, requestID); err != nil {
		return err
	}
	switch {
	case sa.ConnectionPreference != cloud.GCPConnectionAcceptManual:
		return workflow.Errorf(workflow.ErrConflict,
			"service attachment %s accepts connections with %s, which ignores the consumer accept list and admits any project; switch it to %s or delete it so that it is created again",
			sa.Path, sa.ConnectionPreference, cloud.GCPConnectionAcceptManual)
	case sa.EnableProxyProtocol:
		return workflow.Errorf(workflow.ErrConflict,
			"service attachment %s adds a PROXY protocol header, which the TLS passthrough proxy does not read; delete it so that it is created without PROXY protocol", sa.Path)
	case !gcproute.SamePath(sa.TargetService, forwardingRule):
		return workflow.Errorf(workflow.ErrConflict,
			"service attachment %s publishes %s, not %s; delete it so that it is created again", sa.Path, sa.TargetService, forwardingRule)
	}
	return nil
}

// ConsumerProject returns the project of privatelink-gcp-service-attachment
// in SYSTEM$GET_PRIVATELINK_CONFIG, or "" when the key is absent.
//
// NOTE: Snowflake does not document that its outbound Private Service
// Connect endpoints live in this project. The connection step uses it only
// when the endpoint's own ID does not identify the connection.
func ConsumerProject(ctx context.Context, conn snowflake.Conn) (string, error) {
	config, err := accountregion.Read(ctx, conn)
	if err != nil {
		return "", err
	}
	return consumerProjectOf(config), nil
}

// consumerProjectOf returns the project of the GCPServiceAttachment of
// config, or "" when it is absent or not a projects/ path.
func consumerProjectOf(config snowflake.PrivateLinkConfig) string {
	attachment := config.GCPServiceAttachment
	if !strings.HasPrefix(attachment, "projects/") {
		return ""
	}
	project, _, _ := strings.Cut(strings.TrimPrefix(attachment, "projects/"), "/")
	return project
}
