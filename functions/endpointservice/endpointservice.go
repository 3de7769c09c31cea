// Package endpointservice creates the VPC endpoint service in front of the
// load balancer, with acceptance required, and allows Snowflake's principal
// on it.
package endpointservice

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/repolink/repolink/functions/internal/accountregion"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the endpoint service and the principal allowed on it.
type Output = workflow.EndpointService

// principalPattern matches an IAM ARN of a 12-digit account: the account
// root, a user or a role. An STS assumed-role ARN is not a valid principal
// for an endpoint service.
var principalPattern = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(root|user/[A-Za-z0-9+=,.@_/-]+|role/[A-Za-z0-9+=,.@_/-]+)$`)

// Run finds or creates the endpoint service, checks that it serves every zone
// of the load balancer, reads Snowflake's principal from
// SYSTEM$GET_PRIVATELINK_CONFIG, adds it to the allowed principals without
// removing others, and reads it back before returning, since provisioning
// before the principal is visible leaves no connection request.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	lb := in.Resources.LoadBalancer
	if lb == nil {
		return Output{}, workflow.Invalid("endpoint service needs the load balancer; run the load_balancer step first")
	}
	names := workflow.NamesFor(req)
	// Snowflake's endpoint reaches the service only from the account's
	// region, so a service in another region is not created.
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
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return Output{}, err
	}

	svc, err := network.FindEndpointService(ctx, req.ID)
	if err != nil {
		return Output{}, fmt.Errorf("find endpoint service of %s: %w", req.ID, err)
	}
	action := workflow.Adopted
	if svc == nil {
		created, err := network.CreateEndpointService(ctx, req.ID, lb.ID, names.ClientToken+"-svc")
		if err != nil {
			return Output{}, fmt.Errorf("create endpoint service for %s: %w", lb.ID, err)
		}
		svc = &created
		action = workflow.Created
	}
	if !svc.AcceptanceRequired {
		return Output{}, workflow.Errorf(workflow.ErrConflict,
			"endpoint service %s accepts connections without review; turn acceptance required on", svc.ID)
	}
	if err := checkZones(ctx, network, names.LoadBalancer, svc); err != nil {
		return Output{}, err
	}

	principal, err := principalOf(config)
	if err != nil {
		return Output{}, err
	}

	allowed, err := network.AllowedPrincipals(ctx, svc.ID)
	if err != nil {
		return Output{}, fmt.Errorf("read allowed principals of %s: %w", svc.ID, err)
	}
	if !slices.Contains(allowed, principal) {
		if err := network.AddAllowedPrincipal(ctx, svc.ID, principal); err != nil {
			return Output{}, fmt.Errorf("allow %s on %s: %w", principal, svc.ID, err)
		}
		if action == workflow.Adopted {
			action = workflow.Updated
		}
		allowed, err = network.AllowedPrincipals(ctx, svc.ID)
		if err != nil {
			return Output{}, fmt.Errorf("read allowed principals of %s: %w", svc.ID, err)
		}
		if !slices.Contains(allowed, principal) {
			return Output{}, workflow.NotReady("principal %s is not yet listed on %s; waiting for it to appear", principal, svc.ID)
		}
	}
	return Output{
		Result:      workflow.Result{Action: action, ID: svc.ID},
		ServiceName: svc.Name,
		Principal:   principal,
	}, nil
}

// SnowflakePrincipal returns privatelink-account-principal from
// SYSTEM$GET_PRIVATELINK_CONFIG, checked to be an IAM ARN.
func SnowflakePrincipal(ctx context.Context, conn snowflake.Conn) (string, error) {
	config, err := accountregion.Read(ctx, conn)
	if err != nil {
		return "", err
	}
	return principalOf(config)
}

// principalOf returns the AccountPrincipal of config, checked to be an IAM
// ARN.
func principalOf(config snowflake.PrivateLinkConfig) (string, error) {
	principal := config.AccountPrincipal
	if principal == "" {
		return "", workflow.Invalid("SYSTEM$GET_PRIVATELINK_CONFIG has no privatelink-account-principal; check that the account is on AWS and Business Critical, and that the role is ACCOUNTADMIN")
	}
	if !principalPattern.MatchString(principal) {
		return "", workflow.Invalid("Snowflake principal %q is not an IAM ARN of a 12-digit account; ask Snowflake support to check the account's private connectivity", principal)
	}
	return principal, nil
}

// checkZones returns a Conflict error when the load balancer is in zones
// that the service does not serve. AWS fixes a service's zones when a load
// balancer is associated with it, so zones added to the load balancer later
// reach the service only after the load balancer is associated again.
//
// NOTE: the step does not re-associate the load balancer itself. The EC2
// API changes associations with ModifyVpcEndpointServiceConfiguration,
// which cannot remove the only load balancer of a service. AWS does not
// document that removing and adding the same one in one call refreshes the
// zones, so the error message gives the operator the manual steps.
func checkZones(ctx context.Context, network cloud.AWSNetwork, lbName string, svc *cloud.EndpointService) error {
	if len(svc.Zones) == 0 {
		// AWS lists the zones of every service, so an empty list means the
		// response carried no zones, not that the service has none.
		return nil
	}
	lb, err := network.FindLoadBalancer(ctx, lbName)
	if err != nil {
		return fmt.Errorf("find load balancer %s: %w", lbName, err)
	}
	if lb == nil {
		return nil
	}
	var missing []string
	for _, zone := range lb.Zones {
		if !slices.Contains(svc.Zones, zone) {
			missing = append(missing, zone)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return workflow.Errorf(workflow.ErrConflict,
		"endpoint service %s serves availability zones %s, but its load balancer %s is also in %s, which were added after the load balancer was associated with the service; "+
			"a Snowflake endpoint in those zones fails. Associate the load balancer with the service again "+
			"(VPC console: Endpoint services, %s, Actions, Associate or disassociate load balancers, and save with %s selected), then redrive. "+
			"If the zones stay missing, reject the service's endpoint connections, delete the service and start a new run, which creates a service in every zone",
		svc.ID, strings.Join(svc.Zones, ", "), lb.ARN, strings.Join(missing, ", "), svc.ID, lb.Name)
}
