// Package acceptconnection accepts Snowflake's connection request on the
// endpoint service once it appears.
package acceptconnection

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the accepted connection.
type Output = workflow.Connection

// Run accepts the connection from Snowflake's account. It returns NotReady
// while no connection is visible, because the request appears some time
// after provisioning, and Rejected when the connection can no longer become
// available.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	svc := in.Resources.EndpointService
	if svc == nil || in.Resources.Endpoint == nil {
		return Output{}, workflow.Invalid("connection needs the endpoint service and the endpoint; run those steps first")
	}
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return Output{}, err
	}
	conns, err := network.EndpointConnections(ctx, svc.ID)
	if err != nil {
		return Output{}, fmt.Errorf("list connections of %s: %w", svc.ID, err)
	}

	owner := accountOf(svc.Principal)
	var candidates []cloud.EndpointConnection
	for _, c := range conns {
		if c.Owner == "" || owner == "" || c.Owner == owner {
			candidates = append(candidates, c)
		}
	}
	if len(candidates) == 0 {
		return Output{}, workflow.NotReady("no connection request from Snowflake on %s yet", svc.ID)
	}

	// A live connection wins over older failed ones of the same owner.
	for _, c := range candidates {
		switch State(c.State) {
		case InProgress:
			if !strings.EqualFold(c.State, "pendingAcceptance") {
				return Output{Result: workflow.Result{Action: workflow.Adopted, ID: c.EndpointID}, State: c.State}, nil
			}
			if err := network.AcceptEndpointConnection(ctx, svc.ID, c.EndpointID); err != nil {
				return Output{}, fmt.Errorf("accept connection %s on %s: %w", c.EndpointID, svc.ID, err)
			}
			return Output{Result: workflow.Result{Action: workflow.Created, ID: c.EndpointID}, State: "pending"}, nil
		case Live:
			return Output{Result: workflow.Result{Action: workflow.Adopted, ID: c.EndpointID}, State: c.State}, nil
		}
	}
	// The EC2 API has states that State does not classify, such as Partial,
	// and may add more, so an unclassified state waits instead of failing
	// the run.
	for _, c := range candidates {
		if State(c.State) == Unknown {
			return Output{}, workflow.NotReady("connection %s on %s is in state %q, which is not a known pending, live or terminal state; waiting for it to change",
				c.EndpointID, svc.ID, c.State)
		}
	}
	c := candidates[0]
	return Output{}, workflow.Errorf(workflow.ErrRejected,
		"connection %s on %s is %s; deprovision the Snowflake endpoint and redrive the run to request a new connection",
		c.EndpointID, svc.ID, c.State)
}

// Progress classifies a provider-side connection state.
type Progress int

// Connection progress classes.
const (
	Unknown Progress = iota
	InProgress
	Live
	Terminal
)

// State maps an AWS VPC endpoint connection state to its progress class:
// pendingAcceptance and pending are in progress (pending follows acceptance),
// available is live, and rejected, failed, expired, deleting and deleted are
// terminal.
func State(state string) Progress {
	switch strings.ToLower(state) {
	case "pendingacceptance", "pending":
		return InProgress
	case "available":
		return Live
	case "rejected", "failed", "expired", "deleting", "deleted":
		return Terminal
	}
	return Unknown
}

// accountOf returns the account ID of an IAM ARN.
func accountOf(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}
