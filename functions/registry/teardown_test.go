package registry

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// olderRequest returns req changed so that Validate rejects it but an
// earlier version accepted it: an ID with a zero width space.
func olderRequest(t *testing.T, req request.Request) request.Request {
	t.Helper()
	req.ID = "Z-1\u200b"
	if req.Validate() == nil {
		t.Fatalf("Validate accepted ID %q, so the test does not cover a strict rule", req.ID)
	}
	return req
}

func TestTeardownStepsAcceptOlderRequest(t *testing.T) {
	handlers := Handlers(offlineEnv())
	for route, req := range exampleRequests(t) {
		input, err := json.Marshal(workflow.Document{Request: olderRequest(t, req)})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range TeardownSteps {
			err := runStep(handlers[step.Name], input)
			var invalid *request.ValidationError
			if errors.As(err, &invalid) {
				t.Errorf("step %s, route %s: the request check rejected the request: %v", step.Name, route, err)
			}
		}
		// Provision steps of every route keep the strict check.
		for _, name := range []string{"preflight", "secret", "repository"} {
			err := runStep(handlers[name], input)
			var invalid *request.ValidationError
			if !errors.As(err, &invalid) {
				t.Errorf("step %s, route %s: error %v, want the request check's *request.ValidationError", name, route, err)
			}
		}
	}
}

func TestTeardownStepsRejectRequestWithoutID(t *testing.T) {
	handlers := Handlers(offlineEnv())
	for route, req := range exampleRequests(t) {
		req.ID = ""
		input, err := json.Marshal(workflow.Document{Request: req})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range TeardownSteps {
			err := runStep(handlers[step.Name], input)
			var invalid *request.ValidationError
			if !errors.As(err, &invalid) {
				t.Errorf("step %s, route %s: error %v, want a *request.ValidationError", step.Name, route, err)
				continue
			}
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Errorf("step %s, route %s: error name %q, want InvalidRequest", step.Name, route, got)
			}
		}
	}
}

func TestTeardownStepsRejectMissingRouteBlock(t *testing.T) {
	handlers := Handlers(offlineEnv())
	req := exampleRequests(t)[aws]
	req.AWS = nil
	input, err := json.Marshal(workflow.Document{Request: req})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range TeardownSteps {
		err := runStep(handlers[step.Name], input)
		if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
			t.Errorf("step %s: error %v, want InvalidRequest", step.Name, err)
		}
	}
}
