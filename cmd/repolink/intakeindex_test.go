package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sqlitefile"
)

// TestIntakeIndexConcurrentBuild builds the intake index of a store from
// before the index with two handles on the index file at once, as two
// processes would, over more than one page of executions. Both finish
// with every execution's rows, and the mark names the last execution.
func TestIntakeIndexConcurrentBuild(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	const n = intakeIndexPage + 150
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			req := exampleRequest(t, fmt.Sprintf("IX-%d", i))
			req.Repository.Name = fmt.Sprintf("ix_%d_pypi", i)
			if _, err := eng.Start(ctx, provisionMachine, req.ID, documentOf(t, req)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	path := filepath.Join(dir, intakeIndexFile)
	var indexes [2]*intakeIndex
	for i := range indexes {
		db, err := sqlitefile.Open(path, intakeIndexSchema, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		indexes[i] = &intakeIndex{db: db, path: path}
	}
	for _, ix := range indexes {
		wg.Go(func() {
			if err := ix.catchUp(ctx, eng); err != nil {
				t.Errorf("catchUp: %v", err)
			}
		})
	}
	wg.Wait()

	for _, i := range []int{0, n / 2, n - 1} {
		id := fmt.Sprintf("IX-%d", i)
		req := exampleRequest(t, id)
		req.Repository.Name = fmt.Sprintf("ix_%d_pypi", i)
		for k, ix := range indexes {
			runs, err := ix.runs(ctx, provisionMachine, id)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(runs, []string{id}) {
				t.Errorf("index %d: runs of %s = %v, want [%s]", k, id, runs, id)
			}
			claimants, err := ix.claimants(ctx, claimKeys(req))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(claimants, []string{id}) {
				t.Errorf("index %d: claimants of %s's objects = %v, want [%s]", k, id, claimants, id)
			}
		}
	}
	last, err := eng.ListAddedAfter(ctx, 0, n+10)
	if err != nil {
		t.Fatal(err)
	}
	mark, err := indexes[0].mark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := last[len(last)-1]; mark.seq != want.Seq || mark.execution != want.Name {
		t.Errorf("mark = %+v, want Seq %d of %s", mark, want.Seq, want.Name)
	}
}

// TestIntakeIndexReplacedStore checks that an index built from one engine
// store is built again for a store that replaced it in the same
// directory, so that it neither names the old store's executions nor
// misses the new store's.
func TestIntakeIndexReplacedStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := provisionStore(t, dir)
	owner := exampleRequest(t, "RS-1")
	if _, err := old.Start(ctx, provisionMachine, owner.ID, documentOf(t, owner)); err != nil {
		t.Fatal(err)
	}
	var clash *objectClashError
	if err := checkObjectClash(ctx, old, exampleRequest(t, "RS-2"), ""); !errors.As(err, &clash) {
		t.Fatalf("RS-2 on the first store: error = %v, want an objectClashError", err)
	}
	old.Close()
	if err := removeDB(filepath.Join(dir, engineStore)); err != nil {
		t.Fatal(err)
	}

	// The new store's first execution gets the Seq of RS-1 with another
	// name, and it claims what RS-2 names.
	fresh := provisionStore(t, dir)
	other := exampleRequest(t, "RS-3")
	if _, err := fresh.Start(ctx, provisionMachine, other.ID, documentOf(t, other)); err != nil {
		t.Fatal(err)
	}
	err := checkObjectClash(ctx, fresh, exampleRequest(t, "RS-2"), "")
	if !errors.As(err, &clash) || clash.other != "RS-3" {
		t.Errorf("RS-2 on the new store: error = %v, want an objectClashError with RS-3", err)
	}
	if err := checkObjectClash(ctx, fresh, owner, ""); !errors.As(err, &clash) || clash.other != "RS-3" {
		t.Errorf("RS-1 on the new store: error = %v, want an objectClashError with RS-3", err)
	}
	if _, err := os.Stat(filepath.Join(dir, intakeIndexFile)); err != nil {
		t.Errorf("intake index file: %v", err)
	}
}

// TestFoldCase checks that foldCase maps two strings to one exactly when
// strings.EqualFold reports them equal.
func TestFoldCase(t *testing.T) {
	words := []string{"myorg-analytics", "MyOrg-Analytics", "MYORG-ANALYTICS", "myorg-other",
		"k", "K", "\u212a", "s", "S", "\u017f", "ß", "ẞ", "σ", "Σ", "ς", "", "a\xffb", "a\uFFFDb"}
	for _, a := range words {
		for _, b := range words {
			if got, want := foldCase(a) == foldCase(b), strings.EqualFold(a, b); got != want {
				t.Errorf("foldCase(%q) == foldCase(%q) is %v, strings.EqualFold is %v", a, b, got, want)
			}
		}
	}
}

// TestIntakeLockKeysCoverClashes checks that two requests share a lock key
// whenever sharedObjects or sameEndpointHost finds a clash between them.
func TestIntakeLockKeysCoverClashes(t *testing.T) {
	base := request.Request{
		ID:         "LK-1",
		Route:      request.RouteAWSPrivateLink,
		Snowflake:  request.Snowflake{Account: "myorg-analytics", Database: "PLATFORM", Schema: "PACKAGES"},
		Repository: request.Repository{Name: "corp_pypi", IndexURL: "https://pypi.corp.example.com/simple/"},
	}
	edits := map[string]func(*request.Request){
		"same":         func(*request.Request) {},
		"account case": func(r *request.Request) { r.Snowflake.Account = "MyOrg-Analytics" },
		"name case":    func(r *request.Request) { r.Repository.Name = "CORP_PYPI" },
		"quoted name":  func(r *request.Request) { r.Repository.Name = "corp-pypi" },
		"other schema": func(r *request.Request) { r.Snowflake.Schema = "OTHER" },
		"other name":   func(r *request.Request) { r.Repository.Name = "team_pypi" },
		"host case": func(r *request.Request) {
			r.Repository.Name = "team_pypi"
			r.Repository.IndexURL = "https://PyPI.Corp.Example.com/simple/"
		},
		"other host":     func(r *request.Request) { r.Repository.IndexURL = "https://other.example.com/simple/" },
		"other account":  func(r *request.Request) { r.Snowflake.Account = "myorg-other" },
		"public":         func(r *request.Request) { r.Route = request.RoutePublic; r.Repository.Name = "team_pypi" },
		"gcp other name": func(r *request.Request) { r.Route = request.RouteGCPPrivateLink; r.Repository.Name = "team_pypi" },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			other := base
			other.ID = "LK-2"
			edit(&other)
			clash := len(sharedObjects(base, other)) > 0 || sameEndpointHost(base, other)
			shared := false
			for _, key := range intakeLockKeys(base) {
				if slices.Contains(intakeLockKeys(other), key) {
					shared = true
				}
			}
			if clash && !shared {
				t.Errorf("the requests clash but share no lock key: %v and %v", intakeLockKeys(base), intakeLockKeys(other))
			}
		})
	}
}

// TestIntakeCostIndependentOfStoreSize checks that a start check of a new
// request takes about as long in a store with 2,000 executions of other
// requests as in one with 20, because it reads only the executions that
// the intake index names. It compares the fastest of several checks in
// each store, which varies less than one check on a shared machine.
func TestIntakeCostIndependentOfStoreSize(t *testing.T) {
	ctx := context.Background()
	fastest := func(others int) time.Duration {
		dir := t.TempDir()
		eng := provisionStore(t, dir)
		var wg sync.WaitGroup
		for i := range others {
			wg.Go(func() {
				req := exampleRequest(t, fmt.Sprintf("SZ-%d", i))
				req.Repository.Name = fmt.Sprintf("sz_%d_pypi", i)
				if _, err := eng.Start(ctx, provisionMachine, req.ID, documentOf(t, req)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		req := exampleRequest(t, "SZ-NEW")
		req.Repository.Name = "sz_new_pypi"
		best := time.Duration(math.MaxInt64)
		for range 20 {
			begin := time.Now()
			if err := checkIntake(ctx, eng, req, ""); err != nil {
				t.Fatalf("check in a store with %d executions: %v", others, err)
			}
			best = min(best, time.Since(begin))
		}
		return best
	}
	small, large := fastest(20), fastest(2000)
	t.Logf("fastest check: %v with 20 executions, %v with 2000", small, large)
	if large > 4*small {
		t.Errorf("a check with 2000 executions in the store took %v, more than 4 times the %v with 20", large, small)
	}
}
