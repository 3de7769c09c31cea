package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
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

func TestClaimSigned(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	until := epoch.Add(webhook.MaxAge + webhook.ReplayClockSkew)
	at := func(seconds int) time.Time { return epoch.Add(time.Duration(seconds) * time.Second) }

	steps := []struct {
		name string
		// do changes the store before the claim, or is nil.
		do       func() error
		key      string
		signedAt time.Time
		want     dynamo.SignedClaim
	}{
		{name: "new ticket", key: "a", signedAt: at(10), want: dynamo.SignedClaim{Claimed: true}},
		{name: "older than a pending claim", key: "b", signedAt: at(9),
			want: dynamo.SignedClaim{LatestSignedAt: at(10), Pending: true}},
		{name: "same second as a pending claim", key: "c", signedAt: at(10), want: dynamo.SignedClaim{Claimed: true}},
		{name: "older than an accepted delivery",
			do:  func() error { return store.RecordSigned(ctx, "DATA-1", at(10), "DATA-1", until) },
			key: "d", signedAt: at(8), want: dynamo.SignedClaim{LatestSignedAt: at(10), Execution: "DATA-1"}},
		{name: "newer", key: "e", signedAt: at(12), want: dynamo.SignedClaim{Claimed: true}},
		{name: "older after the newer claim was released",
			do:  func() error { return store.ReleaseSigned(ctx, "DATA-1", "e") },
			key: "f", signedAt: at(11), want: dynamo.SignedClaim{Claimed: true}},
		{name: "release of a claim taken over",
			do:  func() error { return store.ReleaseSigned(ctx, "DATA-1", "a") },
			key: "g", signedAt: at(10), want: dynamo.SignedClaim{LatestSignedAt: at(11), Pending: true}},
	}
	for _, step := range steps {
		if step.do != nil {
			if err := step.do(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		check, err := store.CheckSigned(ctx, "DATA-1", step.signedAt)
		if err != nil {
			t.Fatalf("%s: check: %v", step.name, err)
		}
		if check.Claimed != step.want.Claimed {
			t.Errorf("%s: check claimed = %t, want %t", step.name, check.Claimed, step.want.Claimed)
		}
		got, err := store.ClaimSigned(ctx, "DATA-1", step.key, step.signedAt, until)
		if err != nil {
			t.Fatalf("%s: claim: %v", step.name, err)
		}
		if !got.LatestSignedAt.Equal(step.want.LatestSignedAt) {
			t.Errorf("%s: latest signed at %s, want %s", step.name, got.LatestSignedAt, step.want.LatestSignedAt)
		}
		got.LatestSignedAt = step.want.LatestSignedAt
		if got != step.want {
			t.Errorf("%s: claim = %+v, want %+v", step.name, got, step.want)
		}
	}

	signedAt, execution, found, err := store.LatestSigned(ctx, "DATA-1")
	if err != nil || !found {
		t.Fatalf("latest signed: found = %t, %v", found, err)
	}
	if !signedAt.Equal(at(10)) || execution != "DATA-1" {
		t.Errorf("latest signed = %s %q, want %s DATA-1, which no claim changes", signedAt, execution, at(10))
	}
}
