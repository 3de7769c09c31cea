package registry

import "github.com/repolink/repolink/shared/workflow"

// gcpHandlers returns the handlers of the steps of the gcp route.
func gcpHandlers(env *workflow.Env) map[string]Handler {
	return map[string]Handler{}
}
