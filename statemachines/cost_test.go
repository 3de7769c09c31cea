package statemachines

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
)

// awsDoc is the AWS deployment guide, whose Cost section lists the states
// that a provision run enters on its success path for each route that the
// AWS deployment serves.
const awsDoc = "../docs/aws.md"

// TestProvisionStatesEnteredMatchAWSDoc runs the provision machine to
// success for each route that the AWS deployment serves and checks that
// the Cost section of the AWS guide gives the number of states entered,
// which Step Functions bills as one transition each.
func TestProvisionStatesEnteredMatchAWSDoc(t *testing.T) {
	data, err := os.ReadFile(awsDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, cost, found := strings.Cut(string(data), "\n## Cost\n")
	if !found {
		t.Fatalf("%s has no Cost section", awsDoc)
	}
	cost, _, _ = strings.Cut(cost, "\n## ")

	tests := []struct {
		route request.Route
		// waits is whether the route waits for a private endpoint.
		waits bool
	}{
		{request.RouteAWSPrivateLink, true},
		{request.RouteEgressIP, false},
		{request.RoutePublic, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.route), func(t *testing.T) {
			entered := statesEnteredOnSuccess(t, tt.route, tt.waits)

			row := fmt.Sprintf("| `%s` | %d |", tt.route, len(entered))
			if !strings.Contains(cost, row) {
				t.Errorf("the Cost section of %s has no row %q; the run entered %s",
					awsDoc, row, strings.Join(entered, ", "))
			}
		})
	}
}

// statesEnteredOnSuccess runs the provision machine for route with fake
// steps, completes the endpoint wait with the poller's live report when
// the route waits, and returns the states that the run entered in order.
func statesEnteredOnSuccess(t *testing.T, route request.Route, waits bool) []string {
	t.Helper()
	f := newAwaitFixture(t)
	f.start(t, route)
	if waits {
		f.sendTaskSuccess(t, f.token(t), liveReport(t, route))
	}

	x := f.wait(t, "req-1")
	if x.Status != engine.StatusSucceeded {
		t.Fatalf("status %s (%s: %s), want %s", x.Status, x.Error, x.Cause, engine.StatusSucceeded)
	}
	events, err := f.engine.History(context.Background(), "req-1")
	if err != nil {
		t.Fatal(err)
	}
	var entered []string
	for _, event := range events {
		if strings.HasSuffix(event.Type, "StateEntered") {
			entered = append(entered, event.State)
		}
	}
	return entered
}
