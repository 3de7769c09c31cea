// Package gcpconnection accepts Snowflake's Private Service Connect
// endpoint on the service attachment once it appears.
package gcpconnection

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/repolink/repolink/functions/internal/gcproute"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the accepted connection: the consumer endpoint's path and its
// status.
type Output = workflow.Connection

// Connected endpoint statuses that Compute Engine reports.
const (
	StatusPending        = "PENDING"
	StatusAccepted       = "ACCEPTED"
	StatusRejected       = "REJECTED"
	StatusClosed         = "CLOSED"
	StatusNeedsAttention = "NEEDS_ATTENTION"
)

// Run finds Snowflake's endpoint among the attachment's connected
// endpoints and accepts exactly that endpoint by adding its URL to the
// consumer accept list. It returns NotReady while no such endpoint is
// visible or its status is unknown, adopts an ACCEPTED one, and stops at
// REJECTED, CLOSED and NEEDS_ATTENTION, which need an operator.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	svc := in.Resources.EndpointService
	if svc == nil || in.Resources.Endpoint == nil {
		return Output{}, workflow.Invalid("the connection needs the service attachment and the endpoint; run those steps first")
	}
	network, err := gcproute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	g := req.GCP
	name := svc.ServiceName[strings.LastIndex(svc.ServiceName, "/")+1:]

	sa, err := network.FindServiceAttachment(ctx, g.Region, name)
	if err != nil {
		return Output{}, fmt.Errorf("find service attachment %s: %w", name, err)
	}
	if sa == nil {
		return Output{}, workflow.NotReady("service attachment %s is not visible yet", svc.ServiceName)
	}
	resourceID, err := snowflakeResourceID(ctx, env, in, svc.ServiceName)
	if err != nil {
		return Output{}, err
	}
	candidates := Candidates(sa.ConnectedEndpoints, resourceID, svc.Principal)
	if len(candidates) == 0 {
		return Output{}, workflow.NotReady("no connection from Snowflake on %s yet (%s)", svc.ServiceName, describe(sa.ConnectedEndpoints))
	}
	// A live connection wins over older failed ones.
	for _, c := range candidates {
		if c.Status == StatusAccepted {
			return Output{Result: workflow.Result{Action: workflow.Adopted, ID: c.Endpoint}, State: c.Status}, nil
		}
	}
	if len(candidates) > 1 {
		return Output{}, workflow.Errorf(workflow.ErrConflict,
			"%d connections on %s may be Snowflake's (%s); accept the one that SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO names by adding its endpoint URL to the consumer accept list, then redrive the run",
			len(candidates), svc.ServiceName, describe(candidates))
	}

	c := candidates[0]
	switch c.Status {
	case StatusPending:
		entry := cloud.GCPConsumerAcceptList{EndpointURL: c.Endpoint, ConnectionLimit: 1}
		if err := network.AddConsumerAcceptList(ctx, g.Region, name, entry); err != nil {
			return Output{}, fmt.Errorf("accept endpoint %s on %s: %w", c.Endpoint, svc.ServiceName, err)
		}
		return Output{Result: workflow.Result{Action: workflow.Created, ID: c.Endpoint}, State: StatusPending}, nil
	case StatusRejected, StatusClosed:
		return Output{}, workflow.Errorf(workflow.ErrRejected,
			"connection %s on %s is %s; deprovision the Snowflake endpoint and redrive the run to request a new connection",
			c.Endpoint, svc.ServiceName, c.Status)
	case StatusNeedsAttention:
		return Output{}, workflow.Errorf(workflow.ErrConflict,
			"connection %s on %s is NEEDS_ATTENTION: it is accepted, but the producer must act, for example by adding a NAT subnet to the attachment when %s has no free address left or by raising the connection limit; fix the attachment, then redrive the run",
			c.Endpoint, svc.ServiceName, g.PSCSubnet)
	}
	if env.Logger != nil {
		env.Logger.Warn("unknown Private Service Connect status; waiting", "execution", in.Execution, "service_attachment", svc.ServiceName, "endpoint", c.Endpoint, "status", c.Status)
	}
	return Output{}, workflow.NotReady("connection %s on %s is %s; waiting for a known status", c.Endpoint, svc.ServiceName, orUnspecified(c.Status))
}

// snowflakeResourceID returns the snowflake_resource_id that
// SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO reports for the attachment, or "".
func snowflakeResourceID(ctx context.Context, env *workflow.Env, in workflow.Document, serviceName string) (string, error) {
	conn, err := env.Snowflake(ctx, in.Request.Snowflake)
	if err != nil {
		return "", err
	}
	infos, err := provisionendpoint.Endpoints(ctx, conn)
	if err != nil {
		return "", err
	}
	if info := provisionendpoint.Current(infos, serviceName); info != nil {
		return info.SnowflakeResourceID, nil
	}
	return "", nil
}

// Candidates returns the connected endpoints that are Snowflake's: the ones
// that resourceID names, by endpoint URL or PSC connection ID, or when it
// names none, those in Snowflake's consumer project.
//
// NOTE: the format of snowflake_resource_id for Google Cloud is not
// documented; the sandbox reports the consumer endpoint's path.
func Candidates(endpoints []cloud.GCPConnectedEndpoint, resourceID, consumerProject string) []cloud.GCPConnectedEndpoint {
	var out []cloud.GCPConnectedEndpoint
	if resourceID != "" {
		for _, e := range endpoints {
			if gcproute.SamePath(e.Endpoint, resourceID) || strconv.FormatUint(e.PSCConnectionID, 10) == resourceID {
				out = append(out, e)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	if consumerProject == "" {
		return nil
	}
	for _, e := range endpoints {
		if strings.HasPrefix(e.Endpoint, "projects/"+consumerProject+"/") {
			out = append(out, e)
		}
	}
	return out
}

// describe lists endpoints with their status for messages.
func describe(endpoints []cloud.GCPConnectedEndpoint) string {
	if len(endpoints) == 0 {
		return "no connected endpoints"
	}
	parts := make([]string, 0, len(endpoints))
	for _, e := range endpoints {
		parts = append(parts, fmt.Sprintf("%s %s (PSC connection %d)", e.Endpoint, orUnspecified(e.Status), e.PSCConnectionID))
	}
	return strings.Join(parts, ", ")
}

func orUnspecified(status string) string {
	if status == "" {
		return "STATUS_UNSPECIFIED"
	}
	return status
}
