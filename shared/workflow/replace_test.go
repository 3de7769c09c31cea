package workflow

import (
	"strings"
	"testing"
)

func TestNextActionForCauseReplace(t *testing.T) {
	cmds := NextCommands{
		Redrive:  "run 'repolink redrive X-1'",
		Run:      "run 'repolink run REQUEST'",
		Rerun:    "run 'repolink run REQUEST' with the changed request file",
		Teardown: "run 'repolink teardown X-1'",
	}
	cause := "proxy VM vm1 has the administrator a, but azure.admin_username is b; " +
		ReplaceFix("Azure does not change the login settings of a VM", "X-1")

	if !NeedsReplace(ErrConflict, cause) {
		t.Errorf("NeedsReplace(Conflict, %q) = false, want true", cause)
	}
	if NeedsReplace(ErrTransient, cause) {
		t.Error("NeedsReplace is true for a Transient error")
	}
	next := NextActionForCause("FAILED", ErrConflict, cause, cmds)
	if strings.Contains(next, "repolink redrive") {
		t.Errorf("next action offers a redrive: %s", next)
	}
	if !strings.Contains(next, cmds.Teardown+", then "+cmds.Run) {
		t.Errorf("next action lacks the teardown and the new run: %s", next)
	}

	other := NextActionForCause("FAILED", ErrConflict, "secret S exists and was not created by repolink", cmds)
	if other != NextAction("FAILED", ErrConflict, cmds) {
		t.Errorf("next action of another Conflict = %q, want NextAction's", other)
	}
}

func TestReplaceFixExecution(t *testing.T) {
	if got := ReplaceFix("r", ""); !strings.Contains(got, "run repolink teardown on the request's latest run") {
		t.Errorf("ReplaceFix without an execution = %q", got)
	}
	if got := ReplaceFix("r", "X-1"); !strings.Contains(got, "run 'repolink teardown X-1'") {
		t.Errorf("ReplaceFix(X-1) = %q", got)
	}
}

func TestNextActionForCauseTeardownFirst(t *testing.T) {
	cmds := NextCommands{
		Redrive:  "run 'repolink redrive X-1'",
		Run:      "run 'repolink run REQUEST'",
		Rerun:    "run 'repolink run REQUEST' with the changed request file",
		Teardown: "run 'repolink teardown X-1'",
	}
	cause := "aws.subnet_ids has more than one subnet in one availability zone; " + PlacementFix("aws.subnet_ids", "X-1")

	for _, name := range []string{ErrInvalidRequest, ErrConflict} {
		if !NeedsTeardownFirst(name, cause) {
			t.Errorf("NeedsTeardownFirst(%s, %q) = false, want true", name, cause)
		}
		next := NextActionForCause("FAILED", name, cause, cmds)
		if strings.Contains(next, "repolink redrive") {
			t.Errorf("next action for %s offers a redrive: %s", name, next)
		}
		if !strings.Contains(next, cmds.Teardown+", then "+cmds.Rerun) {
			t.Errorf("next action for %s lacks the teardown before the changed run: %s", name, next)
		}
	}
	if NeedsTeardownFirst(ErrTransient, cause) {
		t.Error("NeedsTeardownFirst is true for a Transient error")
	}
	if got := PlacementFix("aws.subnet_ids", "X-1"); !strings.Contains(got, "run 'repolink teardown X-1'") {
		t.Errorf("PlacementFix(X-1) = %q", got)
	}

	change := "location marsnorth is not available; " + PlacementChangeFix("azure.location", "X-1")
	if !NeedsTeardownFirst(ErrInvalidRequest, change) {
		t.Errorf("NeedsTeardownFirst(%q) = false, want true", change)
	}
	if !strings.Contains(change, "A run that changes azure.location is rejected") || !strings.Contains(change, "run 'repolink teardown X-1'") {
		t.Errorf("PlacementChangeFix(azure.location, X-1) = %q", change)
	}

	other := NextActionForCause("FAILED", ErrInvalidRequest, "aws.subnet_ids has no subnet in availability zones usw2-az3", cmds)
	if other != NextAction("FAILED", ErrInvalidRequest, cmds) {
		t.Errorf("next action of another InvalidRequest = %q, want NextAction's", other)
	}
}
