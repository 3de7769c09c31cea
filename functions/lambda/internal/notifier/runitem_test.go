package notifier_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
)

// teardownHolder is a teardown of DATA-1 that holds the run item beside
// the provision run in the release tests.
const teardownHolder = "arn:aws:states:us-west-2:123456789012:execution:rl-teardown:DATA-1-teardown"

// holdRun writes the run item of DATA-1 with holders.
func (f *releaseFixture) holdRun(t *testing.T, holders map[string]dynamo.RunHolder) {
	t.Helper()
	read, err := f.store.ReadRunHolders(t.Context(), "DATA-1")
	if err != nil {
		t.Fatalf("ReadRunHolders: %v", err)
	}
	if ok, err := f.store.WriteRunHolders(t.Context(), "DATA-1", read, holders); err != nil || !ok {
		t.Fatalf("WriteRunHolders = %v, %v", ok, err)
	}
}

func (f *releaseFixture) runHolders(t *testing.T) map[string]dynamo.RunHolder {
	t.Helper()
	read, err := f.store.ReadRunHolders(t.Context(), "DATA-1")
	if err != nil {
		t.Fatalf("ReadRunHolders: %v", err)
	}
	return read.Holders
}

func TestReleaseRunItem(t *testing.T) {
	taken := time.Unix(1_740_830_400, 0)
	tests := []struct {
		name string
		// redrives is the redrive count with which DATA-1 holds the item.
		redrives int
		// holder is the execution that holds the item beside the teardown.
		holder   string
		released bool
	}{
		{"closed holder", 0, executionARNOf("DATA-1"), true},
		{"redriven since the event", 1, executionARNOf("DATA-1"), false},
		{"held by a later run", 0, executionARNOf("DATA-1-r2"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newReleaseFixture(t)
			f.failPreflight.Store(true)
			x := f.run(t, "DATA-1", "DATA-1")
			if x.Status != "FAILED" {
				t.Fatalf("DATA-1 status = %s, want FAILED", x.Status)
			}
			holders := map[string]dynamo.RunHolder{
				tt.holder:      {Machine: "provision", RedriveCount: tt.redrives, TakenAt: taken},
				teardownHolder: {Machine: "teardown", TakenAt: taken},
			}
			f.holdRun(t, holders)

			n := f.notifier()
			n.RunItems = f.store
			if _, err := n.Handle(t.Context(), closedEvent(t, x, true)); err != nil {
				t.Fatalf("Handle: %v", err)
			}

			want := holders
			if tt.released {
				want = map[string]dynamo.RunHolder{teardownHolder: holders[teardownHolder]}
			}
			if diff := cmp.Diff(want, f.runHolders(t)); diff != "" {
				t.Errorf("holders after the event (-want +got):\n%s\nlog:\n%s", diff, f.logs.String())
			}
		})
	}
}
