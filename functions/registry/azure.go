package registry

import "github.com/repolink/repolink/shared/workflow"

// azureHandlers returns the handlers of the steps of the azure route.
func azureHandlers(env *workflow.Env) map[string]Handler {
	return map[string]Handler{}
}
