package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/workflow"
)

// TestPlanCapacityEveryCloud fills the private endpoint places of the
// account of each private-link example with other requests' reservations,
// and checks that plan shows the endpoint in conflict, as preflight
// stops the run there, on every cloud.
func TestPlanCapacityEveryCloud(t *testing.T) {
	for _, example := range []string{"aws-privatelink.json", "azure-privatelink.json", "gcp-privatelink.json"} {
		t.Run(example, func(t *testing.T) {
			dir := t.TempDir()
			reqPath := writeExampleEdit(t, filepath.Join("../../examples", example), func(map[string]any) {})
			req, err := readRequest(reqPath)
			if err != nil {
				t.Fatal(err)
			}
			fillReservations(t, dir, req.Snowflake.Account)
			if code, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", dir, reqPath); code != exitFailed || !strings.Contains(out, "failed  endpoint_capacity") {
				t.Fatalf("preflight exit %d, want %d with a failed endpoint_capacity check\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
			}

			code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, reqPath)

			if code != exitFailed {
				t.Errorf("plan exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
			}
			line := lineStarting(out, "endpoint ")
			if !strings.Contains(line, " conflict ") {
				t.Errorf("endpoint line = %q, want plan word conflict\nstdout:\n%s", line, out)
			}
			if !strings.Contains(out, " 1 in conflict") {
				t.Errorf("plan summary does not count 1 in conflict\nstdout:\n%s", out)
			}
		})
	}
}

// fillReservations reserves every private endpoint place of account for
// other requests in the reservation store of the state directory dir.
func fillReservations(t *testing.T, dir, account string) {
	t.Helper()
	store, err := reservations.Open(filepath.Join(dir, reservationStore))
	if err != nil {
		t.Fatal(err)
	}
	for i := range provisionendpoint.MaxEndpoints {
		other := fmt.Sprintf("DATA-900%d", i)
		got, err := store.Reserve(context.Background(), workflow.EndpointReservation{
			Account: account, RequestID: other, Execution: other,
			Limit: provisionendpoint.MaxEndpoints, Now: time.Now(),
		})
		if err != nil || !got.Reserved {
			t.Fatalf("reserve for %s = %+v, %v", other, got, err)
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
}
