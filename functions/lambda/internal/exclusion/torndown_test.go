package exclusion

import (
	"context"
	"testing"
)

// withListedHolders gives the checker a run item store and keeps the list
// of executions, which TornDown reads for closed provision executions.
func withListedHolders(t *testing.T, c *Checker) {
	c.Holders = newHolders(t)
}

func TestTornDownUntilProvisionedAgain(t *testing.T) {
	f := newFixture(t, withListedHolders)
	ctx := context.Background()
	tornDown := func() string {
		t.Helper()
		name, err := f.checker.TornDown(ctx, "DATA-9")
		if err != nil {
			t.Fatalf("TornDown: %v", err)
		}
		return name
	}

	if got := tornDown(); got != "" {
		t.Errorf("TornDown of a request without runs = %q, want none", got)
	}
	f.start(t, provisionMachine, "DATA-9", "DATA-9")
	if x := f.wait(t, "DATA-9"); x.Status != "SUCCEEDED" {
		t.Fatalf("provision = %s", x.Status)
	}
	if got := tornDown(); got != "" {
		t.Errorf("TornDown after a provision = %q, want none", got)
	}

	f.start(t, teardownMachine, "DATA-9-teardown", "DATA-9")
	if x := f.wait(t, "DATA-9-teardown"); x.Status != "SUCCEEDED" {
		t.Fatalf("teardown = %s", x.Status)
	}
	if got := tornDown(); got != "DATA-9-teardown" {
		t.Errorf("TornDown after a succeeded teardown = %q, want DATA-9-teardown", got)
	}

	f.start(t, provisionMachine, "DATA-9-r2", "DATA-9")
	if x := f.wait(t, "DATA-9-r2"); x.Status != "SUCCEEDED" {
		t.Fatalf("second provision = %s", x.Status)
	}
	if got := tornDown(); got != "" {
		t.Errorf("TornDown while a later provision holds the run item = %q, want none", got)
	}

	// The notifier drops closed runs from the item, and the later
	// provision is then found in the execution list.
	read := readHolders(t, f.checker.Holders, "DATA-9")
	if ok, err := f.checker.Holders.WriteRunItem(ctx, "DATA-9", read, nil, read.LatestTeardown); err != nil || !ok {
		t.Fatalf("release the run item: written %v, error %v", ok, err)
	}
	if got := tornDown(); got != "" {
		t.Errorf("TornDown after a later provision closed = %q, want none", got)
	}
}
