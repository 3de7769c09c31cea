package registry

import (
	"github.com/repolink/repolink/functions/teardownconnections"
	"github.com/repolink/repolink/functions/teardownegress"
	"github.com/repolink/repolink/functions/teardownendpoint"
	"github.com/repolink/repolink/functions/teardownloadbalancer"
	"github.com/repolink/repolink/functions/teardownproxyvm"
	"github.com/repolink/repolink/functions/teardownservice"
	"github.com/repolink/repolink/functions/teardownsnowflake"
	"github.com/repolink/repolink/functions/teardowntargetgroup"
	"github.com/repolink/repolink/shared/workflow"
)

// TeardownSteps lists the AWS teardown steps in the order they run.
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
}

// teardownHandlers returns the handlers of the teardown steps.
func teardownHandlers(env *workflow.Env) map[string]Handler {
	return map[string]Handler{
		"teardown_snowflake":          adapt(env, teardownsnowflake.Run),
		"teardown_endpoint":           adapt(env, teardownendpoint.Run),
		"teardown_connections":        adapt(env, teardownconnections.Run),
		"teardown_reject_connections": adapt(env, teardownconnections.Reject),
		"teardown_endpoint_service":   adapt(env, teardownservice.Run),
		"teardown_load_balancer":      adapt(env, teardownloadbalancer.Run),
		"teardown_target_group":       adapt(env, teardowntargetgroup.Run),
		"teardown_proxy_vm":           adapt(env, teardownproxyvm.Run),
		"teardown_egress":             adapt(env, teardownegress.Run),
	}
}
