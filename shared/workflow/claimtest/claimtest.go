// Package claimtest checks that a workflow.DefaultRegistry takes default
// level claims atomically. The stores' own tests call it against the local
// front ends they already use.
package claimtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/workflow"
)

// claimFor returns the claim of request id on the schema default.
func claimFor(id string) workflow.LevelClaim {
	return workflow.LevelClaim{
		Account: "MyOrg-Analytics", Level: "schema", Target: "SCHEMA PLATFORM.PACKAGES",
		Request: id, Repository: "PLATFORM.PACKAGES." + id,
	}
}

// takeIfFree returns a change that stores mine when the level has no claim
// and reports the holder that it found in holder.
func takeIfFree(mine workflow.LevelClaim, holder *string) workflow.ChangeClaim {
	return func(stored *workflow.LevelClaim) (*workflow.LevelClaim, bool, error) {
		if stored != nil {
			*holder = stored.Request
			return nil, false, nil
		}
		*holder = mine.Request
		return &mine, true, nil
	}
}

// Check runs the claim contract on each registry, which must all be
// handles on one empty store: create when absent, leave and delete, and
// one winner among writers that race on several handles.
func Check(t *testing.T, registries ...workflow.DefaultRegistry) {
	t.Helper()
	ctx := context.Background()
	first := registries[0]
	key := claimFor("DATA-1").Key()

	holder := ""
	if err := first.UpdateClaim(ctx, key, takeIfFree(claimFor("DATA-1"), &holder)); err != nil {
		t.Fatalf("UpdateClaim on a free level: %v", err)
	}
	if err := first.UpdateClaim(ctx, key, takeIfFree(claimFor("DATA-2"), &holder)); err != nil {
		t.Fatalf("UpdateClaim on a held level: %v", err)
	}
	if holder != "DATA-1" {
		t.Errorf("holder seen by a second request = %q, want DATA-1", holder)
	}
	checkStored(t, first, key, ptr(claimFor("DATA-1")))

	sentinel := errors.New("rejected")
	err := first.UpdateClaim(ctx, key, func(*workflow.LevelClaim) (*workflow.LevelClaim, bool, error) {
		return ptr(claimFor("DATA-3")), true, sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Errorf("UpdateClaim with a failing change = %v, want the change's error", err)
	}
	checkStored(t, first, key, ptr(claimFor("DATA-1")))

	if records, err := first.List(ctx); err != nil || len(records) != 0 {
		t.Errorf("List with only a claim stored = %+v, %v, want no records", records, err)
	}

	deleteClaim(t, first, key)
	checkStored(t, first, key, nil)
	checkRace(t, key, registries)
}

// checkRace starts writers on every registry at once, each trying to take
// the free level for its own request, and checks that exactly one wins and
// that all others see it as the holder.
func checkRace(t *testing.T, key string, registries []workflow.DefaultRegistry) {
	t.Helper()
	const writers = 8
	holders := make([]string, writers)
	errs := make([]error, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		registry := registries[i%len(registries)]
		wg.Go(func() {
			<-start
			mine := claimFor(fmt.Sprintf("RACE-%d", i))
			errs[i] = registry.UpdateClaim(context.Background(), key, takeIfFree(mine, &holders[i]))
		})
	}
	close(start)
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	stored := read(t, registries[0], key)
	if stored == nil {
		t.Fatal("no claim stored after the race")
	}
	for i, h := range holders {
		if h != stored.Request {
			t.Errorf("writer %d saw holder %q, want the stored %q", i, h, stored.Request)
		}
	}
}

func ptr(c workflow.LevelClaim) *workflow.LevelClaim { return &c }

// read returns the stored claim of key, or nil, without changing it.
func read(t *testing.T, r workflow.DefaultRegistry, key string) *workflow.LevelClaim {
	t.Helper()
	var got *workflow.LevelClaim
	err := r.UpdateClaim(context.Background(), key, func(stored *workflow.LevelClaim) (*workflow.LevelClaim, bool, error) {
		got = stored
		return nil, false, nil
	})
	if err != nil {
		t.Fatalf("read claim %s: %v", key, err)
	}
	return got
}

func checkStored(t *testing.T, r workflow.DefaultRegistry, key string, want *workflow.LevelClaim) {
	t.Helper()
	if diff := cmp.Diff(want, read(t, r, key)); diff != "" {
		t.Errorf("stored claim (-want +got):\n%s", diff)
	}
}

func deleteClaim(t *testing.T, r workflow.DefaultRegistry, key string) {
	t.Helper()
	err := r.UpdateClaim(context.Background(), key, func(*workflow.LevelClaim) (*workflow.LevelClaim, bool, error) {
		return nil, true, nil
	})
	if err != nil {
		t.Fatalf("delete claim %s: %v", key, err)
	}
}
