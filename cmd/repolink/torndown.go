package main

import (
	"context"

	"github.com/repolink/repolink/shared/engine"
)

// tornDownRequests returns the workflow.Env.TornDown of a runtime: the
// name of the latest teardown of a request in eng when it succeeded and no
// provision execution of the request started after it, of any status.
func tornDownRequests(eng *engine.Engine) func(ctx context.Context, requestID string) (string, error) {
	return func(ctx context.Context, requestID string) (string, error) {
		// requestExecutions lists the latest started first.
		teardowns, err := requestExecutions(ctx, eng, teardownMachine, requestID)
		if err != nil || len(teardowns) == 0 {
			return "", err
		}
		latest := teardowns[0]
		if latest.Status != engine.StatusSucceeded {
			return "", nil
		}
		provisions, err := requestExecutions(ctx, eng, provisionMachine, requestID)
		if err != nil {
			return "", err
		}
		if len(provisions) > 0 && provisions[0].StartedAt.After(latest.StartedAt) {
			return "", nil
		}
		return latest.Name, nil
	}
}
