package releasereservation

import (
	"context"
	"reflect"
	"testing"

	"github.com/repolink/repolink/functions/internal/gcpsandbox"
	"github.com/repolink/repolink/functions/provisionendpoint"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/workflow"
)

// firestoreEnv returns a step environment whose endpoint reservations live
// in the Firestore front end of the sandbox.
func firestoreEnv(t *testing.T) *workflow.Env {
	t.Helper()
	store, err := gcpadapter.NewEndpointReservations(context.Background(), gcpsandbox.Start(t),
		gcpadapter.WaitsConfig{Project: "proj-one", Collection: "waits"})
	if err != nil {
		t.Fatal(err)
	}
	return &workflow.Env{EndpointReservations: store}
}

// otherEndpoints returns all but one of the endpoints that an account may
// have, so that one place is left.
func otherEndpoints() []provisionendpoint.EndpointInfo {
	return gcpsandbox.ListedEndpoints(provisionendpoint.MaxEndpoints - 1)
}

// lastPlaceFree reports whether another request can reserve the account's
// last place, which it can only when the place of DATA-1 is gone.
func lastPlaceFree(t *testing.T, env *workflow.Env) bool {
	t.Helper()
	err := provisionendpoint.Reserve(context.Background(), env, gcpsandbox.Request(t, "DATA-2"), "run-of-DATA-2", otherEndpoints(), "")
	switch workflow.NameOf(err) {
	case "":
		return true
	case workflow.ErrConflict:
		return false
	}
	t.Fatalf("reserve for DATA-2: %v", err)
	return false
}

func TestReleaseFailedRun(t *testing.T) {
	env := firestoreEnv(t)
	req := gcpsandbox.Request(t, "DATA-1")
	if err := provisionendpoint.Reserve(context.Background(), env, req, "run-1", otherEndpoints(), ""); err != nil {
		t.Fatalf("reserve for DATA-1: %v", err)
	}
	if lastPlaceFree(t, env) {
		t.Fatal("DATA-2 took the last place while DATA-1 held it")
	}

	out, err := Run(context.Background(), env, workflow.Document{Request: req, Execution: "run-1"})
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	if want := (Output{Action: Released, ID: "DATA-1"}); !reflect.DeepEqual(out, want) {
		t.Errorf("output %+v, want %+v", out, want)
	}
	if !lastPlaceFree(t, env) {
		t.Error("the last place is still held after the release")
	}
}

func TestReleaseKeepsLaterRunsPlace(t *testing.T) {
	env := firestoreEnv(t)
	req := gcpsandbox.Request(t, "DATA-1")
	if err := provisionendpoint.Reserve(context.Background(), env, req, "run-2", otherEndpoints(), ""); err != nil {
		t.Fatalf("reserve for the later run of DATA-1: %v", err)
	}

	if _, err := Run(context.Background(), env, workflow.Document{Request: req, Execution: "run-1"}); err != nil {
		t.Fatalf("release: %v", err)
	}
	if lastPlaceFree(t, env) {
		t.Error("the release of run-1 ended the place that run-2 holds")
	}
}

func TestReleaseKeepsPlaceAfterEndpointStep(t *testing.T) {
	env := firestoreEnv(t)
	req := gcpsandbox.Request(t, "DATA-1")
	if err := provisionendpoint.Reserve(context.Background(), env, req, "run-1", otherEndpoints(), ""); err != nil {
		t.Fatalf("reserve for DATA-1: %v", err)
	}
	doc := workflow.Document{Request: req, Execution: "run-1",
		Resources: workflow.Resources{Endpoint: &workflow.Endpoint{Result: workflow.Result{Action: workflow.Created, ID: "endpoint"}}}}

	out, err := Run(context.Background(), env, doc)
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	if out.Action != workflow.Skipped {
		t.Errorf("action %q, want %q", out.Action, workflow.Skipped)
	}
	if out.Reason == "" {
		t.Error("skipped release has no reason")
	}
	if out.ID != "" {
		t.Errorf("skipped release has ID %q, want none, because the reason goes in reason", out.ID)
	}
	if lastPlaceFree(t, env) {
		t.Error("the release ended the place of a run whose endpoint step ran")
	}
}

func TestReleaseWithoutPlace(t *testing.T) {
	env := firestoreEnv(t)
	out, err := Run(context.Background(), env, workflow.Document{Request: gcpsandbox.Request(t, "DATA-1"), Execution: "run-1"})
	if err != nil {
		t.Fatalf("release without a place: %v", err)
	}
	if out.Action != Released {
		t.Errorf("action %q, want %q", out.Action, Released)
	}
}

func TestReleaseInputs(t *testing.T) {
	req := gcpsandbox.Request(t, "DATA-1")
	noAccount := req
	noAccount.Snowflake.Account = ""

	_, err := Run(context.Background(), &workflow.Env{}, workflow.Document{Request: req})
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Errorf("release without an execution: error name %q, want %q (error %v)", got, workflow.ErrInvalidRequest, err)
	}
	for name, doc := range map[string]workflow.Document{
		"no store":   {Request: req, Execution: "run-1"},
		"no account": {Request: noAccount, Execution: "run-1"},
	} {
		out, err := Run(context.Background(), &workflow.Env{}, doc)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if out.Action != workflow.Skipped {
			t.Errorf("%s: action %q, want %q", name, out.Action, workflow.Skipped)
		}
		if out.Reason == "" {
			t.Errorf("%s: skipped release has no reason", name)
		}
		if out.ID != "" {
			t.Errorf("%s: skipped release has ID %q, want none, because the reason goes in reason", name, out.ID)
		}
	}
}
