package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/webhook"
)

func TestSignedKeepsLatest(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	until := epoch.Add(webhook.MaxAge + webhook.ReplayClockSkew)

	if _, _, found, err := store.LatestSigned(ctx, "DATA-1"); err != nil || found {
		t.Fatalf("latest signed of a new ticket: found = %t, %v; want none", found, err)
	}
	steps := []struct {
		name          string
		signedAt      time.Time
		execution     string
		wantAt        time.Time
		wantExecution string
	}{
		{name: "first", signedAt: epoch, execution: "DATA-1", wantAt: epoch, wantExecution: "DATA-1"},
		{name: "later", signedAt: epoch.Add(2 * time.Second), execution: "DATA-1-r2", wantAt: epoch.Add(2 * time.Second), wantExecution: "DATA-1-r2"},
		{name: "earlier", signedAt: epoch.Add(time.Second), execution: "DATA-1-r3", wantAt: epoch.Add(2 * time.Second), wantExecution: "DATA-1-r2"},
		{name: "same second", signedAt: epoch.Add(2 * time.Second), execution: "DATA-1-r4", wantAt: epoch.Add(2 * time.Second), wantExecution: "DATA-1-r4"},
	}
	for _, step := range steps {
		if err := store.RecordSigned(ctx, "DATA-1", step.signedAt, step.execution, until); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		at, execution, found, err := store.LatestSigned(ctx, "DATA-1")
		if err != nil || !found {
			t.Fatalf("%s: latest signed: found = %t, %v", step.name, found, err)
		}
		if !at.Equal(step.wantAt) {
			t.Errorf("%s: signed at %s, want %s", step.name, at, step.wantAt)
		}
		if execution != step.wantExecution {
			t.Errorf("%s: execution = %q, want %s", step.name, execution, step.wantExecution)
		}
	}

	if _, _, found, err := store.LatestSigned(ctx, "DATA-2"); err != nil || found {
		t.Errorf("latest signed of another ticket: found = %t, %v; want none", found, err)
	}
}
