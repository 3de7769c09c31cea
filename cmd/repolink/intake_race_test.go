package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

// TestSimultaneousClaimsOneWins starts two requests with different IDs that
// name the same Snowflake objects, or the same private endpoint host, at
// the same moment, 50 times each. Each time exactly one starts, and the
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
