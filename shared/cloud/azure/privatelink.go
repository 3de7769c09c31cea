package azure

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"

	"github.com/repolink/repolink/shared/cloud"
)

// FindPrivateLinkService returns the service, or (nil, nil) when it does
// not exist.
func (p *Provider) FindPrivateLinkService(ctx context.Context, resourceGroup, name string) (*cloud.AzurePrivateLinkService, error) {
	resp, err := p.linkService.Get(ctx, resourceGroup, name, nil)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, "get private link service %s in resource group %s", name, resourceGroup)
	}
	svc := linkServiceOf(resp.PrivateLinkService)
	return &svc, nil
}

// CreatePrivateLinkService creates the service in front of the frontend
// and waits for it. PROXY protocol stays off because the proxy VM expects
// the client's raw TLS ClientHello, and automatic approval stays empty so
// that every connection is approved on purpose.
//
// NOTE: visibility is left unset (role-based access only). Whether
// Snowflake's connection request needs the service to be visible to its
// subscription is not confirmed.
func (p *Provider) CreatePrivateLinkService(ctx context.Context, spec cloud.AzurePrivateLinkServiceSpec) (cloud.AzurePrivateLinkService, error) {
	svc := armnetwork.PrivateLinkService{
		Location: to(spec.Location),
		Tags:     tagsFor(spec.RequestID, spec.Tags),
		Properties: &armnetwork.PrivateLinkServiceProperties{
			LoadBalancerFrontendIPConfigurations: []*armnetwork.FrontendIPConfiguration{{ID: to(spec.FrontendID)}},
			IPConfigurations: []*armnetwork.PrivateLinkServiceIPConfiguration{{
				Name: to(spec.NATConfig),
				Properties: &armnetwork.PrivateLinkServiceIPConfigurationProperties{
					Primary:                   to(true),
					PrivateIPAllocationMethod: to(armnetwork.IPAllocationMethodDynamic),
					Subnet:                    &armnetwork.Subnet{ID: to(spec.NATSubnetID)},
				},
			}},
			EnableProxyProtocol: to(false),
			AutoApproval:        &armnetwork.PrivateLinkServicePropertiesAutoApproval{Subscriptions: []*string{}},
		},
	}
	poller, err := p.linkService.BeginCreateOrUpdate(ctx, spec.ResourceGroup, spec.Name, svc, nil)
	done, err := wait(ctx, poller, err, p.poll)
	if err != nil {
		return cloud.AzurePrivateLinkService{}, classify(err, "create private link service %s in resource group %s", spec.Name, spec.ResourceGroup)
	}
	return linkServiceOf(done.PrivateLinkService), nil
}

// PrivateEndpointConnections lists the connections through the Private
// Link Service API, following every page.
func (p *Provider) PrivateEndpointConnections(ctx context.Context, serviceID string) ([]cloud.AzureEndpointConnection, error) {
	id, err := parseID(serviceID, "Microsoft.Network/privateLinkServices")
	if err != nil {
		return nil, err
	}
	var out []cloud.AzureEndpointConnection
	pager := p.linkService.NewListPrivateEndpointConnectionsPager(id.ResourceGroupName, id.Name, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, classify(err, "list private endpoint connections of %s", serviceID)
		}
		for _, c := range page.Value {
			if c != nil {
				out = append(out, connectionOf(*c))
			}
		}
	}
	return out, nil
}

// ApproveEndpointConnection reads the connection, sets its status to
// Approved and writes it back in one synchronous PUT.
func (p *Provider) ApproveEndpointConnection(ctx context.Context, serviceID, connectionName, description string) (cloud.AzureEndpointConnection, error) {
	return p.setConnectionStatus(ctx, serviceID, connectionName, cloud.AzureApproved, description, "approve")
}

// RejectEndpointConnection reads the connection, sets its status to
// Rejected and writes it back in one synchronous PUT.
func (p *Provider) RejectEndpointConnection(ctx context.Context, serviceID, connectionName, description string) (cloud.AzureEndpointConnection, error) {
	return p.setConnectionStatus(ctx, serviceID, connectionName, cloud.AzureRejected, description, "reject")
}

// setConnectionStatus reads the connection, sets its status and writes it
// back; verb names the change in errors.
func (p *Provider) setConnectionStatus(ctx context.Context, serviceID, connectionName, status, description, verb string) (cloud.AzureEndpointConnection, error) {
	id, err := parseID(serviceID, "Microsoft.Network/privateLinkServices")
	if err != nil {
		return cloud.AzureEndpointConnection{}, err
	}
	resp, err := p.linkService.GetPrivateEndpointConnection(ctx, id.ResourceGroupName, id.Name, connectionName, nil)
	if err != nil {
		return cloud.AzureEndpointConnection{}, classify(err, "get private endpoint connection %s of %s", connectionName, serviceID)
	}
	conn := resp.PrivateEndpointConnection
	if conn.Properties == nil {
		conn.Properties = &armnetwork.PrivateEndpointConnectionProperties{}
	}
	conn.Properties.PrivateLinkServiceConnectionState = &armnetwork.PrivateLinkServiceConnectionState{
		Status:          to(status),
		Description:     to(description),
		ActionsRequired: to("None"),
	}
	updated, err := p.linkService.UpdatePrivateEndpointConnection(ctx, id.ResourceGroupName, id.Name, connectionName, conn, nil)
	if err != nil {
		return cloud.AzureEndpointConnection{}, classify(err, "%s private endpoint connection %s of %s", verb, connectionName, serviceID)
	}
	return connectionOf(updated.PrivateEndpointConnection), nil
}

func linkServiceOf(svc armnetwork.PrivateLinkService) cloud.AzurePrivateLinkService {
	out := cloud.AzurePrivateLinkService{ID: str(svc.ID), Name: str(svc.Name), Tags: tagsOf(svc.Tags)}
	props := svc.Properties
	if props == nil {
		return out
	}
	out.Alias = str(props.Alias)
	if props.ProvisioningState != nil {
		out.ProvisioningState = string(*props.ProvisioningState)
	}
	out.ProxyProtocol = props.EnableProxyProtocol != nil && *props.EnableProxyProtocol
	for _, fe := range props.LoadBalancerFrontendIPConfigurations {
		if fe != nil {
			out.FrontendIDs = append(out.FrontendIDs, str(fe.ID))
		}
	}
	for _, config := range props.IPConfigurations {
		if config != nil && config.Properties != nil && config.Properties.Subnet != nil {
			out.NATSubnetIDs = append(out.NATSubnetIDs, str(config.Properties.Subnet.ID))
		}
	}
	if props.AutoApproval != nil {
		for _, sub := range props.AutoApproval.Subscriptions {
			if sub != nil {
				out.AutoApproval = append(out.AutoApproval, *sub)
			}
		}
	}
	return out
}

func connectionOf(c armnetwork.PrivateEndpointConnection) cloud.AzureEndpointConnection {
	out := cloud.AzureEndpointConnection{ID: str(c.ID), Name: str(c.Name)}
	if props := c.Properties; props != nil {
		if props.PrivateEndpoint != nil {
			out.PrivateEndpointID = str(props.PrivateEndpoint.ID)
		}
		if state := props.PrivateLinkServiceConnectionState; state != nil {
			out.Status = str(state.Status)
			out.Description = str(state.Description)
		}
	}
	return out
}
