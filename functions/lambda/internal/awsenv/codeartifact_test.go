package awsenv

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/awssim"
	"github.com/repolink/repolink/shared/workflow"
)

// issuedToken is one token that the local CodeArtifact returned.
type issuedToken struct {
	region, domain, owner, token string
	expires                      time.Time
}

// startCodeArtifact starts the local AWS front end and returns it with the
// list of the tokens it issues.
func startCodeArtifact(t *testing.T) (*awssim.Server, func() []issuedToken) {
	t.Helper()
	var mu sync.Mutex
	var issued []issuedToken
	sim, err := awssim.Start(context.Background(), awssim.Options{
		TokenIssued: func(region, domain, owner, token string, expires time.Time) {
			mu.Lock()
			defer mu.Unlock()
			issued = append(issued, issuedToken{region, domain, owner, token, expires})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim, func() []issuedToken {
		mu.Lock()
		defer mu.Unlock()
		return append([]issuedToken(nil), issued...)
	}
}

func codeArtifactRequest() request.Request {
	return request.Request{
		ID: "DATA-4711",
		Repository: request.Repository{
			IndexURL: "https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/",
			Auth:     request.Auth{Type: request.AuthCodeArtifact},
		},
	}
}

// TestCodeArtifactEndpoints gets a token through the step environment with
// each way of pointing the client at another endpoint: Options.AWS and the
// SDK's service-specific and general environment variables.
func TestCodeArtifactEndpoints(t *testing.T) {
	tests := []struct {
		name   string
		option bool
		envVar string
	}{
		{name: "option", option: true},
		{name: "AWS_ENDPOINT_URL_CODEARTIFACT", envVar: "AWS_ENDPOINT_URL_CODEARTIFACT"},
		{name: "AWS_ENDPOINT_URL", envVar: "AWS_ENDPOINT_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, issued := startCodeArtifact(t)
			opts := awsadapter.Options{
				Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
				MaxAttempts: 1,
			}
			if tt.option {
				opts.Endpoint = sim.URL()
			} else {
				t.Setenv(tt.envVar, sim.URL())
			}
			env := New(Options{Region: "us-west-2", AWS: opts}).Env()
			if env.CodeArtifact == nil {
				t.Fatal("Env has no CodeArtifact client")
			}

			token, err := env.CodeArtifactToken(context.Background(), codeArtifactRequest())
			if err != nil {
				t.Fatalf("CodeArtifactToken: %v", err)
			}
			got := issued()
			if len(got) != 1 {
				t.Fatalf("the local CodeArtifact issued %d tokens, want 1", len(got))
			}
			if token.Value != got[0].token {
				t.Error("the returned token is not the one that the local CodeArtifact issued")
			}
			if !token.ExpiresAt.Equal(got[0].expires) {
				t.Errorf("ExpiresAt = %s, want %s", token.ExpiresAt, got[0].expires)
			}
			// The client signs for the region of the repository's URL, not
			// the function's region.
			if got[0].region != "eu-west-1" {
				t.Errorf("signed for region %q, want eu-west-1", got[0].region)
			}
			if got[0].domain != "corp" || got[0].owner != "111122223333" {
				t.Errorf("domain %q of owner %q, want corp of 111122223333", got[0].domain, got[0].owner)
			}
		})
	}
}

// TestEnvCredentials passes the credential expiry registry through to the
// steps.
func TestEnvCredentials(t *testing.T) {
	registry := &fakeRegistry{}
	if got := New(Options{Region: "us-west-2", Credentials: registry}).Env().Credentials; got != registry {
		t.Errorf("Env().Credentials = %v, want the registry of Options", got)
	}
	if got := New(Options{Region: "us-west-2"}).Env().Credentials; got != nil {
		t.Errorf("Env().Credentials without a registry = %T, want nil", got)
	}
}

type fakeRegistry struct{}

func (*fakeRegistry) Put(context.Context, workflow.CredentialExpiry) error { return nil }
func (*fakeRegistry) List(context.Context) ([]workflow.CredentialExpiry, error) {
	return nil, nil
}
func (*fakeRegistry) Delete(context.Context, string) error { return nil }
func (*fakeRegistry) Update(context.Context, string, func(*workflow.CredentialExpiry) (*workflow.CredentialExpiry, error)) error {
	return nil
}
