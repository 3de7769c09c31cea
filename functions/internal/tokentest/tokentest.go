// Package tokentest provides a CodeArtifact token issuer for the tests of the
// steps and the poller that get or renew index tokens.
package tokentest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/workflow"
)

// IndexURL is a CodeArtifact repository endpoint in eu-west-1.
const IndexURL = "https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/"

// Issuer returns distinct tokens that expire duration after the clock's
// time, and records each call.
type Issuer struct {
	Clock *simtest.Clock

	mu     sync.Mutex
	calls  []Call
	tokens []string
}

// Call is one AuthorizationToken call.
type Call struct {
	Region, Domain, Owner string
	Duration              time.Duration
}

// Env wires the issuer into env for every region.
func (i *Issuer) Env(env *workflow.Env) {
	env.Now = i.Clock.Now
	env.CodeArtifact = func(_ context.Context, region string) (workflow.TokenIssuer, error) {
		return regionIssuer{i, region}, nil
	}
}

type regionIssuer struct {
	issuer *Issuer
	region string
}

func (r regionIssuer) AuthorizationToken(_ context.Context, domain, owner string, duration time.Duration) (workflow.IndexToken, error) {
	i := r.issuer
	i.mu.Lock()
	defer i.mu.Unlock()
	i.calls = append(i.calls, Call{Region: r.region, Domain: domain, Owner: owner, Duration: duration})
	token := fmt.Sprintf("issued-token-%d-c0ffee", len(i.tokens)+1)
	i.tokens = append(i.tokens, token)
	return workflow.IndexToken{Value: token, ExpiresAt: i.Clock.Now().Add(duration)}, nil
}

// Calls returns the calls so far.
func (i *Issuer) Calls() []Call {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]Call(nil), i.calls...)
}

// Tokens returns every token returned so far, the latest last.
func (i *Issuer) Tokens() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]string(nil), i.tokens...)
}

// Request turns req into a request of auth type codeartifact on IndexURL.
func Request(req request.Request) request.Request {
	req.Repository.IndexURL = IndexURL
	req.Repository.Auth = request.Auth{Type: request.AuthCodeArtifact}
	return req
}
