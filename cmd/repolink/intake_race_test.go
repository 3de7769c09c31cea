package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
)

// TestSimultaneousClaimsOneWins starts two requests with different IDs that
// name the same Snowflake objects, the same private endpoint host or the
// same default level at the same moment, 50 times each. Each time exactly one starts, and the
// other fails the intake check with the clash error.
func TestSimultaneousClaimsOneWins(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	const rounds = 50
	cases := []struct {
		name string
		// pair returns the two requests of a round.
		pair func(round int) (request.Request, request.Request)
		// isClash reports whether err is the error that the loser gets.
		isClash func(err error) bool
	}{
		{
			name: "objects",
			pair: func(round int) (request.Request, request.Request) {
				a := exampleRequest(t, fmt.Sprintf("RO-%d-A", round))
				b := exampleRequest(t, fmt.Sprintf("RO-%d-B", round))
				a.Repository.Name = fmt.Sprintf("race_%d_pypi", round)
				b.Repository.Name = a.Repository.Name
				return a, b
			},
			isClash: func(err error) bool {
				var clash *objectClashError
				return errors.As(err, &clash)
			},
		},
		{
			name: "host",
			pair: func(round int) (request.Request, request.Request) {
				host := fmt.Sprintf("pypi-%d.race.example.com", round)
				a := privateLinkRequest(t, fmt.Sprintf("RH-%d-A", round), fmt.Sprintf("race_%d_a", round), host)
				b := privateLinkRequest(t, fmt.Sprintf("RH-%d-B", round), fmt.Sprintf("race_%d_b", round), host)
				return a, b
			},
			isClash: func(err error) bool {
				var clash *hostClashError
				return errors.As(err, &clash)
			},
		},
		{
			name: "default level",
			pair: func(round int) (request.Request, request.Request) {
				a := exampleRequest(t, fmt.Sprintf("RD-%d-A", round))
				b := exampleRequest(t, fmt.Sprintf("RD-%d-B", round))
				a.Repository.Name = fmt.Sprintf("race_default_%d_a", round)
				b.Repository.Name = fmt.Sprintf("race_default_%d_b", round)
				a.Snowflake.Schema = fmt.Sprintf("RACE_%d", round)
				b.Snowflake.Schema = a.Snowflake.Schema
				a.Repository.DefaultFor = "schema"
				b.Repository.DefaultFor = "schema"
				return a, b
			},
			isClash: func(err error) bool {
				var clash *defaultClashError
				return errors.As(err, &clash)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for round := range rounds {
				a, b := tc.pair(round)
				var errs [2]error
				var wg sync.WaitGroup
				begin := make(chan struct{})
				for i, req := range []request.Request{a, b} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-begin
						_, errs[i] = startExecutionLocked(ctx, eng, dir, req)
					}()
				}
				close(begin)
				wg.Wait()

				started, clashed := 0, 0
				for i, err := range errs {
					switch {
					case err == nil:
						started++
					case tc.isClash(err):
						clashed++
					default:
						t.Errorf("round %d, request %d: unexpected error %v", round, i, err)
					}
				}
				if started != 1 || clashed != 1 {
					t.Errorf("round %d: %d started and %d rejected with a clash, want 1 and 1", round, started, clashed)
				}
			}
		})
	}
}

// TestStartExecutionLockCoversClaims checks that the start lock that the
// Step Functions API takes for an execution input includes the locks of the
// request's claims. A start of another request with the same repository
// name waits for it, and one with another name does not.
func TestStartExecutionLockCoversClaims(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	owner := exampleRequest(t, "LC-1")
	unlock, err := lockStartsOfInput(dir)(ctx, documentOf(t, owner))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	// Pick IDs whose own stripes differ from the owner's, so that only a
	// claim can make them wait.
	otherID := func(prefix string) string {
		for i := 0; ; i++ {
			id := fmt.Sprintf("%s-%d", prefix, i)
			if startLockStripe(id) != startLockStripe(owner.ID) {
				return id
			}
		}
	}
	same := exampleRequest(t, otherID("LC-SAME"))
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := lockStartsWith(short, dir, same.ID, intakeLockKeys(same)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("lock of a request with the same repository name: error = %v, want it to wait until the deadline", err)
	}

	other := exampleRequest(t, "")
	other.Repository.Name = "unclaimed_pypi"
	// A shared index credential is a claim too, so the other request has
	// its own.
	other.Repository.Auth.TokenRef = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/unclaimed-index-token"
	for i := 0; ; i++ {
		other.ID = fmt.Sprintf("LC-OTHER-%d", i)
		if !slices.ContainsFunc(startLockStripesOf(other.ID, intakeLockKeys(other)), func(s int) bool {
			return slices.Contains(startLockStripesOf(owner.ID, intakeLockKeys(owner)), s)
		}) {
			break
		}
	}
	release, err := lockStartsWith(ctx, dir, other.ID, intakeLockKeys(other))
	if err != nil {
		t.Fatalf("lock of a request with other claims: %v", err)
	}
	release()
}
