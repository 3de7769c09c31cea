package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/snowflake/sessions"
)

// A caller such as repolink up closes its Snowflake sessions after the
// context that it started the sandbox with has ended, so the sandbox must
// keep serving until Close. A sandbox Snowflake that stopped with the
// context would leave each logout retrying against a closed port.
func TestSandboxServesUntilClose(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sb, secrets := startCorpSandbox(ctx, t)
	req := exampleRequest(t, "aws-privatelink.json", "env:CORP_PASSWORD")
	if err := sb.Seed(ctx, req, secrets); err != nil {
		t.Fatalf("seed: %v", err)
	}

	// The request timeout bounds the retries of the query below should
	// the sandbox Snowflake have stopped.
	cache := sessions.New(sessions.Options{Secrets: secrets, Host: sb.SnowflakeHost(), Port: sb.SnowflakePort(), Protocol: "http",
		RequestTimeout: time.Second})
	conn, err := cache.Session(ctx, req.Snowflake)
	if err != nil {
		t.Fatalf("open session: %v", err)
	}
	cancel()
	<-ctx.Done()

	if _, err := conn.Query(context.Background(), "SHOW ARTIFACT REPOSITORIES IN ACCOUNT"); err != nil {
		t.Errorf("query after the start context ended: %v", err)
	}
	if err := cache.Close(); err != nil {
		t.Errorf("close the session after the start context ended: %v", err)
	}
}
