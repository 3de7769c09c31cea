package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
)

// otherRequest returns the example request body under request ID id, with
// each replacement applied as old, new pairs.
func otherRequest(t *testing.T, id string, replacements ...string) []byte {
	t.Helper()
	body := strings.Replace(string(readExample(t)), `"id": "DATA-4711"`, `"id": "`+id+`"`, 1)
	for i := 0; i+1 < len(replacements); i += 2 {
		if !strings.Contains(body, replacements[i]) {
			t.Fatalf("example request lacks %q", replacements[i])
		}
		body = strings.ReplaceAll(body, replacements[i], replacements[i+1])
	}
	return []byte(body)
}

// ownSecret gives a request an index password of its own. A request that
// sends the example's password to another index host is rejected.
var ownSecret = []string{`secret:repolink/index-password"`, `secret:repolink/index2-password"`}

// otherHost moves a request to another index host with a password of its
// own, so that it shares only its Snowflake objects with the example.
var otherHost = []string{"pypi.corp.example.com", "pypi2.corp.example.com", ownSecret[0], ownSecret[1]}

// otherName gives a request another repository name, so that it shares
// only its index host with the example.
var otherName = []string{`"name": "corp_pypi"`, `"name": "team_pypi"`}

// checkNotStarted fails when the engine has an execution called name.
func (f *teardownFixture) checkNotStarted(t *testing.T, name string) {
	t.Helper()
	_, err := f.engine.Describe(context.Background(), name)
	if !errors.Is(err, engine.ErrExecutionNotFound) {
		t.Errorf("execution %s: describe error %v, want it not started", name, err)
	}
}

// checkContains reports each of wants that message lacks.
func checkContains(t *testing.T, step, message string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(message, want) {
			t.Errorf("%s: error %q lacks %q", step, message, want)
		}
	}
}

// checkRejectedBy checks that a rejected delivery names the execution
// blocking it only under blocking_execution, so that a sender does not take
// it for an execution of the delivered request.
func checkRejectedBy(t *testing.T, step string, got webhook.Response, blocking string) {
	t.Helper()
	if got.BlockingExecution != blocking {
		t.Errorf("%s: blocking_execution %q, want %s", step, got.BlockingExecution, blocking)
	}
	if got.Execution != "" {
		t.Errorf("%s: execution %q, want none because nothing started", step, got.Execution)
	}
	if got.Status != webhook.StatusRejected {
		t.Errorf("%s: status %q, want %s", step, got.Status, webhook.StatusRejected)
	}
}

func TestWebhookRejectsClashingObjects(t *testing.T) {
	f := newTeardownFixture(t)
	f.provisioned(t, readExample(t))

	got := f.deliver(t, "other request", otherRequest(t, "DATA-4712", otherHost...), http.StatusConflict)
	checkRejectedBy(t, "other request", got, "DATA-4711")
	checkContains(t, "other request", got.Error,
		"request DATA-4712 names secret PLATFORM.PACKAGES.CORP_PYPI_SECRET, API integration CORP_PYPI_INTEGRATION "+
			"and artifact repository PLATFORM.PACKAGES.CORP_PYPI in Snowflake account myorg-analytics, "+
			"as request DATA-4711 does in execution DATA-4711 (SUCCEEDED), and no teardown of DATA-4711 has succeeded since",
		"would build its proxy VM, load balancer and private endpoint and then fail with a conflict in the Snowflake steps",
		"Give this request another $.repository.name",
		"'aws stepfunctions start-execution --state-machine-arn arn:aws:states:us-west-2:123456789012:stateMachine:rl-teardown",
		"send the request again")
	if strings.Contains(got.Error, "index host") {
		t.Errorf("other request: error %q names the index host, which differs", got.Error)
	}
	f.checkNotStarted(t, "DATA-4712")
}

func TestWebhookRejectsClashingHost(t *testing.T) {
	f := newTeardownFixture(t)
	f.provisioned(t, readExample(t))

	got := f.deliver(t, "other request", otherRequest(t, "DATA-4712", otherName...), http.StatusConflict)
	checkRejectedBy(t, "other request", got, "DATA-4711")
	checkContains(t, "other request", got.Error,
		"request DATA-4712 uses the index host pypi.corp.example.com in Snowflake account myorg-analytics, "+
			"as request DATA-4711 does in execution DATA-4711 (SUCCEEDED)",
		"An account routes a host name to one private endpoint only",
		"use another host name for this index in $.repository.index_url")
	f.checkNotStarted(t, "DATA-4712")
}

func TestWebhookAllowsOtherAccount(t *testing.T) {
	f := newTeardownFixture(t)
	f.provisioned(t, readExample(t))

	body := otherRequest(t, "DATA-4712", `"account": "myorg-analytics"`, `"account": "myorg-other"`)
	got := f.deliver(t, "request in another account", body, http.StatusAccepted)
	if got.Execution != "DATA-4712" {
		t.Errorf("execution %q, want DATA-4712 (error %q)", got.Execution, got.Error)
	}
}

// TestWebhookClaimOfStoppedRun checks that a holder whose run failed
// before a building step is taken over, and one whose run failed in a
// building step still blocks.
func TestWebhookClaimOfStoppedRun(t *testing.T) {
	t.Run("before building", func(t *testing.T) {
		f := newTeardownFixture(t)
		f.failPreflight.Store(true)
		f.provisioned(t, readExample(t))
		f.failPreflight.Store(false)

		got := f.deliver(t, "other request", otherRequest(t, "DATA-4712"), http.StatusAccepted)
		if got.Execution != "DATA-4712" {
			t.Errorf("execution %q, want DATA-4712 (error %q)", got.Execution, got.Error)
		}
		// The names now belong to DATA-4712, whose run succeeded.
		f.wait(t, "DATA-4712")
		got = f.deliver(t, "example request again", otherRequest(t, "DATA-4711", `"requests"`, `"numpy"`), http.StatusConflict)
		checkContains(t, "example request again", got.Error, "as request DATA-4712 does in execution DATA-4712 (SUCCEEDED)")
	})
	t.Run("in a building step", func(t *testing.T) {
		f := newTeardownFixture(t)
		f.failBuild.Store(true)
		f.provisioned(t, readExample(t))

		got := f.deliver(t, "other request", otherRequest(t, "DATA-4712"), http.StatusConflict)
		checkContains(t, "other request", got.Error,
			"as request DATA-4711 does in execution DATA-4711 (FAILED), which may have built resources before it stopped")
		f.checkNotStarted(t, "DATA-4712")
	})
}

// TestWebhookClaimAfterTeardown checks that a teardown of the holder
// frees its names once it has succeeded, and that the reason names it
// while it runs.
func TestWebhookClaimAfterTeardown(t *testing.T) {
	f := newTeardownFixture(t)
	f.provisioned(t, readExample(t))
	other := otherRequest(t, "DATA-4712")

	f.startTeardown(t, "DATA-4711-teardown", "DATA-4711")
	got := f.deliver(t, "during the teardown", other, http.StatusConflict)
	checkContains(t, "during the teardown", got.Error,
		"and teardown DATA-4711-teardown of DATA-4711, which started since, is still running",
		"wait for teardown DATA-4711-teardown of request DATA-4711 to succeed")

	f.release()
	f.wait(t, "DATA-4711-teardown")
	got = f.deliver(t, "after the teardown", other, http.StatusAccepted)
	if got.Execution != "DATA-4712" {
		t.Errorf("after the teardown: execution %q, want DATA-4712 (error %q)", got.Execution, got.Error)
	}
}

func TestWebhookClaimAfterFailedTeardown(t *testing.T) {
	f := newTeardownFixture(t)
	f.provisioned(t, readExample(t))
	f.failTeardown.Store(true)
	f.release()
	f.startTeardown(t, "DATA-4711-teardown", "DATA-4711")
	f.wait(t, "DATA-4711-teardown")

	got := f.deliver(t, "other request", otherRequest(t, "DATA-4712"), http.StatusConflict)
	checkContains(t, "other request", got.Error,
		"and teardown DATA-4711-teardown of DATA-4711, which started since, closed with FAILED",
		"'aws stepfunctions redrive-execution --execution-arn arn:aws:states:us-west-2:123456789012:execution:rl-teardown:DATA-4711-teardown'")
}

// TestWebhookUnstartedClaim checks that a claim written for an execution
// that never started blocks other requests for the start grace only.
func TestWebhookUnstartedClaim(t *testing.T) {
	tests := []struct {
		name       string
		age        time.Duration
		wantStatus int
	}{
		{"within the grace", time.Minute, http.StatusConflict},
		{"after the grace", 10 * time.Minute, http.StatusAccepted},
		// DynamoDB deletes an expired item some time after expires_at, so an item
		// past its expires_at must still read as free.
		{"expired and not deleted", 48 * time.Hour, http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook, states := newWebhook(t)
			store := hook.Claims.(*dynamo.Store)
			ghost, err := request.ParseJSON(otherRequest(t, "GHOST-1"))
			if err != nil {
				t.Fatalf("parse request: %v", err)
			}
			for _, c := range request.Claims(ghost) {
				claimedAt := now.Add(-tt.age)
				claim := dynamo.Claim{Request: "GHOST-1", Execution: "GHOST-1", ClaimedAt: claimedAt,
					ExpiresAt: claimedAt.Add(25 * time.Hour)}
				if _, ok, err := store.WriteClaim(context.Background(), c.Key(), c.Account, c.String(), dynamo.Claim{}, claim); err != nil || !ok {
					t.Fatalf("write claim of %s: written %v, error %v", c, ok, err)
				}
			}

			resp, err := hook.Handle(context.Background(), signedEvent(readExample(t), secret, now))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			wantStarts := 0
			if tt.wantStatus == http.StatusAccepted {
				wantStarts = 1
			}
			if got := states.startCount(); got != wantStarts {
				t.Errorf("%d executions started, want %d", got, wantStarts)
			}
			if tt.wantStatus == http.StatusConflict {
				checkContains(t, "delivery", decodeResponse(t, resp).Error,
					"as request GHOST-1 does in execution GHOST-1 (starting), which another delivery of GHOST-1 is starting")
			}
		})
	}
}

// TestWebhookConcurrentClaims sends two requests of different IDs that
// share their Snowflake objects, or in odd rounds only their index host,
// at the same moment, and checks that exactly one starts.
func TestWebhookConcurrentClaims(t *testing.T) {
	hook, states := newWebhook(t)
	const rounds = 30
	for round := range rounds {
		// Each round uses names, an index password and a default level of
		// its own, so that earlier rounds' claims do not decide it. The
		// two requests of a round share their objects, only their host, or
		// only their default level.
		name := fmt.Sprintf(`"name": "repo_%d"`, round)
		host := fmt.Sprintf("pypi%d.corp.example.com", round)
		database := fmt.Sprintf(`"database": "DB_%d"`, round)
		password := fmt.Sprintf(`secret:repolink/round-%d-password"`, round)
		first := otherRequest(t, fmt.Sprintf("A-%d", round),
			`"name": "corp_pypi"`, name, "pypi.corp.example.com", host, `"database": "PLATFORM"`, database, ownSecret[0], password)
		second := otherRequest(t, fmt.Sprintf("B-%d", round),
			`"name": "corp_pypi"`, name, "pypi.corp.example.com", host, `"database": "PLATFORM"`, database, ownSecret[0], password)
		switch round % 3 {
		case 1:
			second = otherRequest(t, fmt.Sprintf("B-%d", round),
				`"name": "corp_pypi"`, fmt.Sprintf(`"name": "repo_%d_b"`, round), "pypi.corp.example.com", host,
				`"database": "PLATFORM"`, database, ownSecret[0], password)
		case 2:
			second = otherRequest(t, fmt.Sprintf("B-%d", round),
				`"name": "corp_pypi"`, fmt.Sprintf(`"name": "repo_%d_b"`, round),
				"pypi.corp.example.com", fmt.Sprintf("pypi%d-b.corp.example.com", round), `"database": "PLATFORM"`, database,
				ownSecret[0], fmt.Sprintf(`secret:repolink/round-%d-b-password"`, round))
		}

		before := states.startCount()
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i, body := range [][]byte{first, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				resp, err := hook.Handle(context.Background(), signedEvent(body, secret, now))
				if err != nil {
					t.Errorf("round %d: Handle: %v", round, err)
				}
				statuses[i] = resp.StatusCode
			}()
		}
		close(gate)
		wg.Wait()

		accepted, conflicts := 0, 0
		for _, status := range statuses {
			switch status {
			case http.StatusAccepted:
				accepted++
			case http.StatusConflict:
				conflicts++
			}
		}
		if accepted != 1 || conflicts != 1 {
			t.Errorf("round %d: statuses %v, want one 202 and one 409", round, statuses)
		}
		if got := states.startCount() - before; got != 1 {
			t.Errorf("round %d: %d executions started, want 1", round, got)
		}
	}
}

// racingClaims is the claim store of a delivery that another request's
// delivery overtakes: just before the delivery writes the claim of
// raceKey, the other request's claim is written there.
type racingClaims struct {
	*dynamo.Store
	raceKey string
	other   dynamo.Claim
	once    sync.Once
}

func (r *racingClaims) WriteClaim(ctx context.Context, key, account, name string, read, claim dynamo.Claim) (dynamo.Claim, bool, error) {
	if key == r.raceKey {
		var err error
		r.once.Do(func() { _, _, err = r.Store.WriteClaim(ctx, key, account, name, read, r.other) })
		if err != nil {
			return dynamo.Claim{}, false, err
		}
	}
	return r.Store.WriteClaim(ctx, key, account, name, read, claim)
}

// recordingClaims is a claim store that records every claim written.
type recordingClaims struct {
	*dynamo.Store
	mu      sync.Mutex
	written map[string]dynamo.Claim
}

func (r *recordingClaims) WriteClaim(ctx context.Context, key, account, name string, read, claim dynamo.Claim) (dynamo.Claim, bool, error) {
	r.mu.Lock()
	r.written[key] = claim
	r.mu.Unlock()
	return r.Store.WriteClaim(ctx, key, account, name, read, claim)
}

// TestWebhookClaimsExpireUntilStarted checks that every claim item, the
// default level's too, carries an expiry past the start grace until its
// execution is marked started, so that DynamoDB deletes the claims of a
// start that never happened.
func TestWebhookClaimsExpireUntilStarted(t *testing.T) {
	hook, states := newWebhook(t)
	store := hook.Claims.(*dynamo.Store)
	recorder := &recordingClaims{Store: store, written: map[string]dynamo.Claim{}}
	hook.Claims = recorder
	body := readExample(t)
	req, err := request.ParseJSON(body)
	if err != nil {
		t.Fatalf("parse request: %v", err)
	}
	claims := request.Claims(req)
	level, ok := request.DefaultClaim(req)
	if !ok {
		t.Fatal("example request sets no default level")
	}
	claims = append(claims, level)

	resp, err := hook.Handle(context.Background(), signedEvent(body, secret, now))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d, want 202 (body %s)", resp.StatusCode, resp.Body)
	}
	if got := states.startCount(); got != 1 {
		t.Errorf("%d executions started, want 1", got)
	}

	// The webhook treats an unstarted claim as free 5 minutes after it
	// was taken, and DynamoDB may delete it a day after that.
	wantExpiry := now.Add(5*time.Minute + 24*time.Hour)
	for _, c := range claims {
		written, ok := recorder.written[c.Key()]
		if !ok {
			t.Errorf("claim of %s was not written", c)
			continue
		}
		if !written.ExpiresAt.Equal(wantExpiry) {
			t.Errorf("claim of %s written with expiry %v, want %v", c, written.ExpiresAt, wantExpiry)
		}
		read, err := store.ReadClaim(context.Background(), c.Key())
		if err != nil {
			t.Fatalf("read claim of %s: %v", c, err)
		}
		if !read.Started {
			t.Errorf("claim of %s is not marked started", c)
		}
		if !read.ExpiresAt.IsZero() {
			t.Errorf("started claim of %s expires at %v, want no expiry", c, read.ExpiresAt)
		}
	}
}

// TestWebhookReleasesClaimsOfRejected checks that a delivery that loses
// the race for one name releases the names it took before it.
func TestWebhookReleasesClaimsOfRejected(t *testing.T) {
	hook, states := newWebhook(t)
	store := hook.Claims.(*dynamo.Store)
	body := readExample(t)
	req, err := request.ParseJSON(body)
	if err != nil {
		t.Fatalf("parse request: %v", err)
	}
	claims := request.Claims(req)
	host := claims[len(claims)-1]
	if host.Kind != request.ClaimHost {
		t.Fatalf("last claim is %s, want the index host", host)
	}
	hook.Claims = &racingClaims{
		Store:   store,
		raceKey: host.Key(),
		other:   dynamo.Claim{Request: "RIVAL-1", Execution: "RIVAL-1", ClaimedAt: now},
	}

	resp, err := hook.Handle(context.Background(), signedEvent(body, secret, now))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("status %d, want 409 (body %s)", resp.StatusCode, resp.Body)
	}
	checkContains(t, "delivery", decodeResponse(t, resp).Error,
		"request DATA-4711 uses the index host pypi.corp.example.com in Snowflake account myorg-analytics, "+
			"as request RIVAL-1 does in execution RIVAL-1 (starting)")
	if got := states.startCount(); got != 0 {
		t.Errorf("%d executions started, want 0", got)
	}

	for _, c := range claims {
		read, err := store.ReadClaim(context.Background(), c.Key())
		if err != nil {
			t.Fatalf("read claim of %s: %v", c, err)
		}
		switch {
		case c.Kind == request.ClaimHost && read.Request != "RIVAL-1":
			t.Errorf("claim of %s is held by %q, want RIVAL-1", c, read.Request)
		case c.Kind == request.ClaimObject && read.Found:
			t.Errorf("claim of %s is held by %q after the rejection, want it released", c, read.Request)
		}
	}
}

// otherObjectsAndHost gives a request another repository name, index host
// and password, so that it shares only its default level with the example.
var otherObjectsAndHost = []string{`"name": "corp_pypi"`, `"name": "team_pypi"`, "pypi.corp.example.com", "pypi2.corp.example.com",
	ownSecret[0], ownSecret[1]}

func TestWebhookRejectsClashingDefaultLevel(t *testing.T) {
	f := newTeardownFixture(t)
	f.provisioned(t, readExample(t))

	got := f.deliver(t, "same level", otherRequest(t, "DATA-4712", otherObjectsAndHost...), http.StatusConflict)
	checkRejectedBy(t, "same level", got, "DATA-4711")
	checkContains(t, "same level", got.Error,
		"request DATA-4712 sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY on SCHEMA PLATFORM.PACKAGES in Snowflake account myorg-analytics "+
			"($.repository.default_for), as request DATA-4711 does in execution DATA-4711 (SUCCEEDED)",
		"Set $.repository.default_for to another level or to none",
		"'aws stepfunctions start-execution --state-machine-arn arn:aws:states:us-west-2:123456789012:stateMachine:rl-teardown",
		"send the request again")
	f.checkNotStarted(t, "DATA-4712")

	body := otherRequest(t, "DATA-4712", append(otherObjectsAndHost, `"default_for": "schema"`, `"default_for": "database"`)...)
	got = f.deliver(t, "other level", body, http.StatusAccepted)
	if got.Execution != "DATA-4712" {
		t.Errorf("other level: execution %q, want DATA-4712 (error %q)", got.Execution, got.Error)
	}
}

// TestWebhookDefaultLevelMovedAway checks that a request takes a level
// once the latest run of the request that held it names another level.
func TestWebhookDefaultLevelMovedAway(t *testing.T) {
	f := newTeardownFixture(t)
	f.provisioned(t, readExample(t))

	moved := otherRequest(t, "DATA-4711", `"default_for": "schema"`, `"default_for": "database"`)
	got := f.deliver(t, "moved level", moved, http.StatusAccepted)
	if got.Execution != "DATA-4711-r2" {
		t.Fatalf("moved level: execution %q, want DATA-4711-r2 (error %q)", got.Execution, got.Error)
	}
	f.wait(t, "DATA-4711-r2")

	got = f.deliver(t, "freed level", otherRequest(t, "DATA-4712", otherObjectsAndHost...), http.StatusAccepted)
	if got.Execution != "DATA-4712" {
		t.Errorf("freed level: execution %q, want DATA-4712 (error %q)", got.Execution, got.Error)
	}
}
