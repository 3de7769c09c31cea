package registry

import (
	"github.com/repolink/repolink/functions/azureconnection"
	"github.com/repolink/repolink/functions/azureloadbalancer"
	"github.com/repolink/repolink/functions/azureprivatelinkservice"
	"github.com/repolink/repolink/functions/azureproxyvm"
	"github.com/repolink/repolink/shared/workflow"
)

// azureHandlers returns the handlers of the steps of the azure route.
func azureHandlers(env *workflow.Env) map[string]Handler {
	return map[string]Handler{
		"azure_proxy_vm":             adaptRoute(env, azure, azureproxyvm.Run),
		"azure_load_balancer":        adaptRoute(env, azure, azureloadbalancer.Run),
		"azure_private_link_service": adaptRoute(env, azure, azureprivatelinkservice.Run),
		"azure_connection":           adaptRoute(env, azure, azureconnection.Run),
	}
}
