// Package teardownconnections waits, during teardown, until the request's
// endpoint service has no live connection, because EC2 rejects the delete of
// a service that has one. When Snowflake takes too long to remove its
// endpoint after deprovisioning, Reject rejects the connections that are
// left.
package teardownconnections

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// Output names the endpoint service.
type Output = workflow.Result

// Run returns NotReady while the endpoint service has a live connection,
// so that the state machine tries again with backoff and a bound. It
// reports checked once none is left.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	network, svc, err := service(ctx, env, in)
	if err != nil || svc == nil {
		return Output{Action: workflow.Skipped, ID: "none"}, err
	}
	live, err := Live(ctx, network, svc.ID)
	if err != nil {
		return Output{}, err
	}
	if len(live) > 0 {
		return Output{}, workflow.NotReady("endpoint service %s still has %s; waiting for Snowflake to remove its endpoint after deprovisioning",
			svc.ID, describe(live))
	}
	return Output{Action: workflow.Checked, ID: svc.ID}, nil
}

// Reject rejects every live connection of the endpoint service and reports
// updated when it rejected one.
func Reject(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	network, svc, err := service(ctx, env, in)
	if err != nil || svc == nil {
		return Output{Action: workflow.Skipped, ID: "none"}, err
	}
	live, err := Live(ctx, network, svc.ID)
	if err != nil {
		return Output{}, err
	}
	for _, conn := range live {
		if err := network.RejectEndpointConnection(ctx, svc.ID, conn.EndpointID); err != nil {
			return Output{}, fmt.Errorf("reject connection %s to %s: %w", conn.EndpointID, svc.ID, err)
		}
	}
	action := workflow.Skipped
	if len(live) > 0 {
		action = workflow.Updated
	}
	return Output{Action: action, ID: svc.ID}, nil
}

func service(ctx context.Context, env *workflow.Env, in workflow.Document) (cloud.AWSNetwork, *cloud.EndpointService, error) {
	req := in.Request
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return nil, nil, err
	}
	svc, err := network.FindEndpointService(ctx, req.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("find endpoint service of %s: %w", req.ID, err)
	}
	return network, svc, nil
}

// Live returns the connections of the service that keep it from being
// deleted: every one that is not rejected, deleted, failed or expired.
func Live(ctx context.Context, network cloud.AWSNetwork, serviceID string) ([]cloud.EndpointConnection, error) {
	conns, err := network.EndpointConnections(ctx, serviceID)
	if err != nil {
		return nil, fmt.Errorf("list connections of %s: %w", serviceID, err)
	}
	var live []cloud.EndpointConnection
	for _, c := range conns {
		switch strings.ToLower(c.State) {
		case "rejected", "deleted", "failed", "expired":
			continue
		}
		live = append(live, c)
	}
	return live, nil
}

func describe(conns []cloud.EndpointConnection) string {
	parts := make([]string, 0, len(conns))
	for _, c := range conns {
		parts = append(parts, c.EndpointID+" "+c.State)
	}
	noun := "connection"
	if len(conns) > 1 {
		noun = "connections"
	}
	return noun + " " + strings.Join(parts, ", ")
}
