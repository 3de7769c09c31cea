// Package azureconnection approves the private endpoint connection that
// Snowflake's endpoint makes to the Private Link Service.
package azureconnection

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/internal/azureroute"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the approved connection.
type Output = workflow.Connection

// Run finds Snowflake's endpoint to the service in
// SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO, lists the service's connections
// through the Private Link Service API, and approves the one whose private
// endpoint is Snowflake's, by the connection name that the service
// assigned. Other connections are left alone. It returns NotReady until
// the endpoint and its connection are visible, tolerates a connection that
// is already approved, and returns Rejected when the connection can no
// longer be approved.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	svc, endpoint := in.Resources.EndpointService, in.Resources.Endpoint
	if svc == nil || endpoint == nil {
		return Output{}, workflow.Invalid("connection needs the private link service and the endpoint; run those steps first")
	}
	network, err := azureroute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}

	endpointID, err := snowflakeEndpoint(ctx, env, in)
	if err != nil {
		return Output{}, err
	}
	conns, err := network.PrivateEndpointConnections(ctx, svc.ServiceName)
	if err != nil {
		return Output{}, fmt.Errorf("list private endpoint connections of %s: %w", svc.ServiceName, err)
	}
	conn := match(conns, endpointID)
	if conn == nil {
		return Output{}, workflow.NotReady("no connection from Snowflake's private endpoint %s on %s yet", endpointID, svc.ServiceName)
	}

	switch {
	case strings.EqualFold(conn.Status, cloud.AzureApproved):
		return Output{Result: workflow.Result{Action: workflow.Adopted, ID: conn.ID}, State: cloud.AzureApproved}, nil
	case strings.EqualFold(conn.Status, cloud.AzurePending):
		return approve(ctx, network, svc.ServiceName, *conn, req.ID)
	case strings.EqualFold(conn.Status, cloud.AzureRejected), strings.EqualFold(conn.Status, cloud.AzureDisconnected):
		return Output{}, workflow.Errorf(workflow.ErrRejected,
			"connection %s from Snowflake's private endpoint %s on %s is %s and cannot be approved; run SELECT SYSTEM$DEPROVISION_PRIVATELINK_ENDPOINT('%s') in Snowflake, then redrive the run to provision a new endpoint",
			conn.Name, endpointID, svc.ServiceName, conn.Status, svc.ServiceName)
	}
	return Output{}, workflow.NotReady("connection %s on %s has status %q; waiting for Pending or Approved", conn.Name, svc.ServiceName, conn.Status)
}

// snowflakeEndpoint returns the resource ID of Snowflake's private endpoint
// to the service for the request's host.
func snowflakeEndpoint(ctx context.Context, env *workflow.Env, in workflow.Document) (string, error) {
	svc, endpoint := in.Resources.EndpointService, in.Resources.Endpoint
	conn, err := env.Snowflake(ctx, in.Request.Snowflake)
	if err != nil {
		return "", err
	}
	infos, err := provisionendpoint.Endpoints(ctx, conn)
	if err != nil {
		return "", err
	}
	// Current compares Resource Manager IDs without case, because
	// Snowflake may return them in another case than they were provisioned
	// with, and it skips an endpoint deprovisioned by an earlier teardown.
	if info := provisionendpoint.Current(infos, svc.ServiceName); info != nil && strings.EqualFold(info.Host, endpoint.Host) {
		if info.SnowflakeResourceID == "" {
			return "", workflow.NotReady("Snowflake's endpoint to %s has no resource ID yet (state %s)", svc.ServiceName, info.EndpointState)
		}
		return info.SnowflakeResourceID, nil
	}
	return "", workflow.NotReady("SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO lists no endpoint to %s for %s yet", svc.ServiceName, endpoint.Host)
}

// match returns the connection whose private endpoint is endpointID.
func match(conns []cloud.AzureEndpointConnection, endpointID string) *cloud.AzureEndpointConnection {
	for i := range conns {
		if strings.EqualFold(conns[i].PrivateEndpointID, endpointID) {
			return &conns[i]
		}
	}
	return nil
}

// approve sets the connection to Approved. When the update fails but the
// connection reads Approved afterwards, another run approved it first, and
// that counts as success.
func approve(ctx context.Context, network cloud.AzureNetwork, serviceID string, conn cloud.AzureEndpointConnection, requestID string) (Output, error) {
	approved, err := network.ApproveEndpointConnection(ctx, serviceID, conn.Name, "Approved by repolink for request "+requestID)
	if err != nil {
		conns, listErr := network.PrivateEndpointConnections(ctx, serviceID)
		if listErr == nil {
			if again := match(conns, conn.PrivateEndpointID); again != nil && strings.EqualFold(again.Status, cloud.AzureApproved) {
				return Output{Result: workflow.Result{Action: workflow.Adopted, ID: again.ID}, State: cloud.AzureApproved}, nil
			}
		}
		return Output{}, fmt.Errorf("approve connection %s on %s: %w", conn.Name, serviceID, err)
	}
	if !strings.EqualFold(approved.Status, cloud.AzureApproved) {
		return Output{}, workflow.NotReady("connection %s on %s reads %q after approval; waiting for Approved", conn.Name, serviceID, approved.Status)
	}
	return Output{Result: workflow.Result{Action: workflow.Created, ID: approved.ID}, State: cloud.AzureApproved}, nil
}
