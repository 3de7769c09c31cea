package aws

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/repolink/repolink/shared/sandbox/awssim"
	"github.com/repolink/repolink/shared/workflow"
)

// issuedToken is what the sandbox reported for one GetAuthorizationToken.
type issuedToken struct {
	region, domain, owner, token string
	expires                      time.Time
}

func startCodeArtifactSim(t *testing.T, now time.Time) (*CodeArtifact, *[]issuedToken) {
	t.Helper()
	var issued []issuedToken
	srv, err := awssim.Start(context.Background(), awssim.Options{
		Clock: func() time.Time { return now },
		TokenIssued: func(region, domain, owner, token string, expires time.Time) {
			issued = append(issued, issuedToken{region, domain, owner, token, expires})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client, err := NewCodeArtifact(context.Background(), Options{
		Region:      "us-east-1",
		Endpoint:    srv.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		MaxAttempts: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return client, &issued
}

func TestCodeArtifactTokenFromSandbox(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	client, issued := startCodeArtifactSim(t, now)

	token, err := client.AuthorizationToken(context.Background(), "corp", "111122223333", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if token.Value == "" {
		t.Fatal("AuthorizationToken returned an empty token")
	}
	if want := now.Add(2 * time.Hour); !token.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %s, want %s", token.ExpiresAt, want)
	}
	if len(*issued) != 1 {
		t.Fatalf("sandbox issued %d tokens, want 1", len(*issued))
	}
	got := (*issued)[0]
	if got.region != "us-east-1" || got.domain != "corp" || got.owner != "111122223333" {
		t.Errorf("sandbox issued for region %q, domain %q, owner %q; want us-east-1, corp, 111122223333", got.region, got.domain, got.owner)
	}
	if got.token != token.Value {
		t.Error("the sandbox reported another token than the client received")
	}
}

func TestCodeArtifactTokenInvalidDuration(t *testing.T) {
	client, issued := startCodeArtifactSim(t, time.Now())

	_, err := client.AuthorizationToken(context.Background(), "corp", "111122223333", time.Minute)
	if workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Fatalf("error name = %q (%v), want %s", workflow.NameOf(err), err, workflow.ErrInvalidRequest)
	}
	if !strings.Contains(err.Error(), "duration") {
		t.Errorf("error %q does not name the duration", err)
	}
	if len(*issued) != 0 {
		t.Errorf("sandbox issued %d tokens for a rejected call", len(*issued))
	}
}
