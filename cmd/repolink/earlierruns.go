package main

import (
	"context"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
)

// provisionRequests returns the workflow.Env.EarlierRequests of a runtime:
// the requests of the provision runs of a request in eng, named after its
// ID as requestRuns finds them.
func provisionRequests(eng *engine.Engine) func(ctx context.Context, requestID string) ([]request.Request, error) {
	return func(ctx context.Context, requestID string) ([]request.Request, error) {
		runs, _, err := requestRuns(ctx, eng, provisionMachine, request.ExecutionName(requestID), requestID)
		if err != nil {
			return nil, err
		}
		var requests []request.Request
		for _, x := range runs {
			if req, ok := provisionRequest(x); ok {
				requests = append(requests, req)
			}
		}
		return requests, nil
	}
}
