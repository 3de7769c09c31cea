package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestWebhookConflictReasonPlacement(t *testing.T) {
	placement := &placementChangeError{requestID: "DATA-1", fields: []string{"$.aws.region"}, earlier: "DATA-1", status: "SUCCEEDED"}
	err := fmt.Errorf("start DATA-1: %w", placement)

	reason, otherID := webhookConflictReason(err, placement)
	if reason != placement.reason() {
		t.Errorf("reason = %q, want %q", reason, placement.reason())
	}
	if strings.Contains(reason, "new id") {
		t.Errorf("reason %q contains the advice to use a new id, which the webhook adds", reason)
	}
	if !otherID {
		t.Error("otherID = false, want true for a placement change")
	}
}

func TestWebhookConflictReasonObjectClash(t *testing.T) {
	clash := &objectClashError{clashHolder: clashHolder{requestID: "DATA-2", account: "acct", other: "DATA-1", earlier: "DATA-1", status: "SUCCEEDED"}, objects: []string{"SECRET PYPI_SECRET"}}
	err := fmt.Errorf("start DATA-2: %w", clash)

	reason, otherID := webhookConflictReason(err, clash)
	if reason != clash.Error() {
		t.Errorf("reason = %q, want %q", reason, clash.Error())
	}
	if otherID {
		t.Error("otherID = true, want false for an object clash")
	}
}

func TestPlacementReasonRunningEarlierRun(t *testing.T) {
	placement := &placementChangeError{requestID: "DATA-1", fields: []string{"$.aws.region"}, earlier: "DATA-1",
		status: "RUNNING", flags: " --sandbox"}

	reason := placement.reason()

	want := "Wait for execution DATA-1 to close, or stop it with 'repolink stop DATA-1'. " +
		"Then tear down the request with 'repolink teardown --sandbox DATA-1'"
	if !strings.Contains(reason, want) {
		t.Errorf("reason lacks %q:\n%s", want, reason)
	}
	if strings.Contains(reason, "Tear down the earlier run first") {
		t.Errorf("reason advises a teardown, which a running execution rejects:\n%s", reason)
	}
}

func TestClashStopCommandTakesNoSandboxFlag(t *testing.T) {
	cmds := repolinkCommands(" --sandbox --state-dir /srv/st", "DATA-1", "")

	if got, want := cmds.Stop("DATA-1"), "'repolink stop --state-dir /srv/st DATA-1'"; got != want {
		t.Errorf("stop command = %s, want %s", got, want)
	}
	if got, want := cmds.Teardown("DATA-1", "DATA-1"), "'repolink teardown --sandbox --state-dir /srv/st DATA-1'"; got != want {
		t.Errorf("teardown command = %s, want %s", got, want)
	}
}
