package registry

import (
	"context"

	"github.com/repolink/repolink/functions/teardownazure"
	"github.com/repolink/repolink/functions/teardownconnections"
	"github.com/repolink/repolink/functions/teardownegress"
	"github.com/repolink/repolink/functions/teardownendpoint"
	"github.com/repolink/repolink/functions/teardowngcp"
	"github.com/repolink/repolink/functions/teardownloadbalancer"
	"github.com/repolink/repolink/functions/teardownproxyvm"
	"github.com/repolink/repolink/functions/teardownservice"
	"github.com/repolink/repolink/functions/teardownsnowflake"
	"github.com/repolink/repolink/functions/teardowntargetgroup"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// TeardownSteps lists the teardown steps in the order they run: the
// shared Snowflake and endpoint steps, then those of the AWS, Azure and
// Google Cloud routes, each route's in reverse order of provisioning.
var TeardownSteps = []Step{
	{Name: "teardown_snowflake"},
	{Name: "teardown_endpoint"},
	{Name: "teardown_connections", Waits: "Snowflake to remove its endpoint from the endpoint service"},
	{Name: "teardown_reject_connections"},
	{Name: "teardown_endpoint_service", Waits: "the endpoint service's connections to go"},
	{Name: "teardown_load_balancer", Waits: "the endpoint service to release the load balancer"},
	{Name: "teardown_target_group", Waits: "the load balancer to release the target group"},
	{Name: "teardown_proxy_vm"},
	{Name: "teardown_egress"},
	{Name: "teardown_azure_connections", Waits: "Snowflake to remove its private endpoint from the Private Link Service"},
	{Name: "teardown_azure_reject_connections"},
	{Name: "teardown_azure_private_link_service", Waits: "the Private Link Service's connections to go"},
	{Name: "teardown_azure_load_balancer", Waits: "the Private Link Service to release the load balancer"},
	{Name: "teardown_azure_proxy_vm", Waits: "the VM to release its network interface"},
	{Name: "teardown_gcp_connections", Waits: "Snowflake to remove its endpoint from the service attachment"},
	{Name: "teardown_gcp_service_attachment", Waits: "the service attachment's endpoints to go"},
	{Name: "teardown_gcp_forwarding_rule", Waits: "the service attachment to release the forwarding rule"},
	{Name: "teardown_gcp_backend_service", Waits: "the forwarding rule to release the backend service"},
	{Name: "teardown_gcp_health_check", Waits: "the backend service to release the health check"},
	{Name: "teardown_gcp_instance_group", Waits: "the backend service to release the instance group"},
	{Name: "teardown_gcp_proxy_vm"},
	{Name: "teardown_gcp_firewall_rules"},
	{Name: "teardown_gcp_psc_subnet", Waits: "the service attachment to release the subnet"},
}

// teardownHandlers returns the handlers of the teardown steps.
func teardownHandlers(env *workflow.Env) map[string]Handler {
	return map[string]Handler{
		"teardown_snowflake":          teardownAny(env, teardownsnowflake.Run),
		"teardown_endpoint":           teardownAny(env, teardownendpoint.Run),
		"teardown_connections":        teardownRoute(env, aws, teardownconnections.Run),
		"teardown_reject_connections": teardownRoute(env, aws, teardownconnections.Reject),
		"teardown_endpoint_service":   teardownRoute(env, aws, teardownservice.Run),
		"teardown_load_balancer":      teardownRoute(env, aws, teardownloadbalancer.Run),
		"teardown_target_group":       teardownRoute(env, aws, teardowntargetgroup.Run),
		"teardown_proxy_vm":           teardownRoute(env, aws, teardownproxyvm.Run),
		"teardown_egress":             teardownRoute(env, egress, teardownegress.Run),

		"teardown_azure_connections":          teardownRoute(env, azure, teardownazure.Connections),
		"teardown_azure_reject_connections":   teardownRoute(env, azure, teardownazure.RejectConnections),
		"teardown_azure_private_link_service": teardownRoute(env, azure, teardownazure.LinkService),
		"teardown_azure_load_balancer":        teardownRoute(env, azure, teardownazure.LoadBalancer),
		"teardown_azure_proxy_vm":             teardownRoute(env, azure, teardownazure.ProxyVM),

		"teardown_gcp_connections":        teardownRoute(env, gcp, teardowngcp.Connections),
		"teardown_gcp_service_attachment": teardownRoute(env, gcp, teardowngcp.ServiceAttachment),
		"teardown_gcp_psc_subnet":         teardownRoute(env, gcp, teardowngcp.PSCSubnet),
		"teardown_gcp_forwarding_rule":    teardownRoute(env, gcp, teardowngcp.ForwardingRule),
		"teardown_gcp_backend_service":    teardownRoute(env, gcp, teardowngcp.BackendService),
		"teardown_gcp_health_check":       teardownRoute(env, gcp, teardowngcp.HealthCheck),
		"teardown_gcp_instance_group":     teardownRoute(env, gcp, teardowngcp.InstanceGroup),
		"teardown_gcp_proxy_vm":           teardownRoute(env, gcp, teardowngcp.ProxyVM),
		"teardown_gcp_firewall_rules":     teardownRoute(env, gcp, teardowngcp.FirewallRules),
	}
}

// teardownAny binds a teardown step that runs on every route.
func teardownAny[Out any](env *workflow.Env, run func(context.Context, *workflow.Env, workflow.Document) (Out, error)) Handler {
	return teardownRoute(env, "", run)
}

// teardownRoute binds a teardown step of one route. It checks the request
// with ValidateForTeardown in place of Validate, so that a request that an
// earlier version accepted and provisioned can still be torn down after
// Validate gets stricter.
func teardownRoute[Out any](env *workflow.Env, route request.Route, run func(context.Context, *workflow.Env, workflow.Document) (Out, error)) Handler {
	return bind(env, route, (*request.Request).ValidateForTeardown, run)
}
