package main

import (
	"testing"
	"time"
)

// TestRunPollsWhenWaitRegistered runs the example with a poll interval of
// an hour on a sandbox whose endpoint is live at once. The endpoint wait
// must end at the poll that follows its registration, not an hour later.
func TestRunPollsWhenWaitRegistered(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	code, out, errOut := runCLITimed(t, time.Minute, "run", "--sandbox", "--sandbox-latency", "none",
		"--poll-interval", "1h", "--state-dir", dir, "../../examples/aws-privatelink.json")
	if code != exitOK {
		t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
