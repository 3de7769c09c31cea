// Package teardownendpoint deprovisions the Snowflake private endpoint to
// the request's endpoint service. Snowflake keeps a deprovisioned endpoint
// on its deletion queue for 7 days, where SYSTEM$RESTORE_PRIVATELINK_ENDPOINT
// can bring it back, and counts it towards the account's endpoint limit
// until then.
package teardownendpoint

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/internal/azureroute"
	"github.com/repolink/repolink/functions/internal/gcproute"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output names the endpoint service and reports deleted when an endpoint
// was deprovisioned.
type Output struct {
	workflow.Result
	// Notes are warnings that the deprovision left the account with at
	// most one free place among its private endpoints.
	Notes []string `json:"notes,omitempty"`
}

// Run finds the request's endpoint service (on Azure its Private Link
// Service, on Google Cloud its service attachment) and deprovisions the
// account's endpoint to it, unless the endpoint is already queued for
// deletion. Without the service there is nothing to look for, because an
// endpoint of the request can only connect to that service.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	// A request that is torn down builds no endpoint, so it holds no place
	// among the account's endpoints. A deprovisioned endpoint stays listed,
	// and counted, for 7 days.
	if err := provisionendpoint.Release(ctx, env, req); err != nil {
		return Output{}, err
	}
	serviceName, err := ServiceName(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	if serviceName == "" {
		return Output{Result: workflow.Result{Action: workflow.Skipped, ID: "none"}}, nil
	}

	conn, err := env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		return Output{}, err
	}
	infos, err := provisionendpoint.Endpoints(ctx, conn)
	if err != nil {
		return Output{}, err
	}
	out := Output{Result: workflow.Result{Action: workflow.Skipped, ID: serviceName}}
	for _, info := range infos {
		if info.ServiceID() != serviceName || Queued(info.EndpointState) {
			continue
		}
		if _, err := conn.Query(ctx, snowflake.DeprovisionPrivateLinkEndpoint(serviceName)); err != nil {
			return Output{}, fmt.Errorf("deprovision endpoint to %s: %w", serviceName, err)
		}
		out.Action = workflow.Deleted
		if note := capacityNote(req.Snowflake.Account, infos); note != "" {
			out.Notes = append(out.Notes, note)
			if env.Logger != nil {
				env.Logger.Warn("private endpoint places nearly used up", "account", req.Snowflake.Account,
					"request_id", req.ID, "counted", len(infos), "maximum", provisionendpoint.MaxEndpoints)
			}
		}
		// One call removes the account's endpoint to the service.
		break
	}
	return out, nil
}

// capacityNote returns a warning when the account, after a deprovision,
// counts at least all but one of its MaxEndpoints private endpoints, or ""
// otherwise. infos are the endpoints listed before the deprovision, which
// still counts the deprovisioned one, so the count is unchanged.
func capacityNote(account string, infos []provisionendpoint.EndpointInfo) string {
	if len(infos) < provisionendpoint.MaxEndpoints-1 {
		return ""
	}
	// The endpoint that this step deprovisioned is listed as live.
	deprovisioned := 1
	for _, info := range infos {
		if Queued(info.EndpointState) {
			deprovisioned++
		}
	}
	days := request.PrivateEndpointKeptDays
	return fmt.Sprintf("Snowflake account %s now counts %d of its maximum of %d private endpoints, %d of them deprovisioned, "+
		"which Snowflake counts for %d days after their teardown; the next runs in this account that need a new endpoint "+
		"can be blocked for up to %d days. Once this teardown has deleted the endpoint service, a later run of this request "+
		"provisions a new endpoint instead of restoring this one",
		account, len(infos), provisionendpoint.MaxEndpoints, deprovisioned, days, days)
}

// Queued reports whether an endpoint state means the endpoint is already on
// its way out: PENDING_DELETION (restorable) or DELETING.
func Queued(endpointState string) bool {
	switch strings.ToUpper(endpointState) {
	case "PENDING_DELETION", "DELETING":
		return true
	}
	return false
}

// ServiceName returns the provider service ID of the request's route that
// SYSTEM$PROVISION_PRIVATELINK_ENDPOINT took: the AWS endpoint service
// name, the Azure Private Link Service resource ID or the Google Cloud
// service attachment path. It returns "" when the service does not exist.
func ServiceName(ctx context.Context, env *workflow.Env, req request.Request) (string, error) {
	switch req.Route {
	case request.RouteAzurePrivateLink:
		network, err := azureroute.Network(ctx, env, req)
		if err != nil {
			return "", err
		}
		name := azureroute.NamesFor(req).LinkService
		svc, err := network.FindPrivateLinkService(ctx, req.Azure.ResourceGroup, name)
		if err != nil {
			return "", fmt.Errorf("find private link service %s: %w", name, err)
		}
		if svc == nil {
			return "", nil
		}
		return svc.ID, nil
	case request.RouteGCPPrivateLink:
		network, err := gcproute.Network(ctx, env, req)
		if err != nil {
			return "", err
		}
		names := gcproute.NamesFor(req)
		sa, err := network.FindServiceAttachment(ctx, req.GCP.Region, names.ServiceAttachment)
		if err != nil {
			return "", fmt.Errorf("find service attachment %s: %w", names.ServiceAttachment, err)
		}
		if sa == nil {
			return "", nil
		}
		return gcproute.ServiceAttachmentPath(req.GCP, names), nil
	}
	if req.AWS == nil {
		return "", workflow.Invalid("the aws-privatelink route needs the aws block in the request")
	}
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return "", err
	}
	svc, err := network.FindEndpointService(ctx, req.ID)
	if err != nil {
		return "", fmt.Errorf("find endpoint service of %s: %w", req.ID, err)
	}
	if svc == nil {
		return "", nil
	}
	return svc.Name, nil
}
