package workflow

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
)

// countingIssuer returns a fixed token and counts its calls.
type countingIssuer struct{ calls int }

func (c *countingIssuer) AuthorizationToken(context.Context, string, string, time.Duration) (IndexToken, error) {
	c.calls++
	return IndexToken{Value: "token", ExpiresAt: time.Unix(0, 0)}, nil
}

const testIndexURL = "https://corp-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/main/simple/"

func codeArtifactRequest() request.Request {
	var req request.Request
	req.Repository.IndexURL = testIndexURL
	req.Repository.Auth.Type = request.AuthCodeArtifact
	return req
}

func TestCodeArtifactTokenDomainList(t *testing.T) {
	cases := []struct {
		name    string
		list    *string
		allowed bool
	}{
		{"no list", nil, true},
		{"empty list", ptr(""), false},
		{"listed domain", ptr("arn:aws:codeartifact:us-east-1:111122223333:domain/other, arn:aws:codeartifact:us-east-1:111122223333:domain/corp"), true},
		{"other region", ptr("arn:aws:codeartifact:eu-west-1:111122223333:domain/corp"), false},
		{"other owner", ptr("arn:aws:codeartifact:us-east-1:444455556666:domain/corp"), false},
		{"any domain", ptr("*"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			issuer := &countingIssuer{}
			env := &Env{CodeArtifact: func(context.Context, string) (TokenIssuer, error) { return issuer, nil }}
			if tc.list != nil {
				domains, err := ParseCodeArtifactDomains(*tc.list, "set --codeartifact-domains")
				if err != nil {
					t.Fatalf("ParseCodeArtifactDomains: %v", err)
				}
				env.CodeArtifactDomains = &domains
			}
			_, err := env.CodeArtifactToken(context.Background(), codeArtifactRequest())
			if tc.allowed {
				if err != nil {
					t.Fatalf("CodeArtifactToken: %v", err)
				}
				return
			}
			if NameOf(err) != ErrInvalidRequest {
				t.Fatalf("error = %v, want %s", err, ErrInvalidRequest)
			}
			for _, want := range []string{"repository.index_url", "arn:aws:codeartifact:us-east-1:111122223333:domain/corp", "--codeartifact-domains"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if issuer.calls != 0 {
				t.Errorf("issuer called %d times for a rejected domain", issuer.calls)
			}
		})
	}
}

func TestParseCodeArtifactDomainsInvalid(t *testing.T) {
	for _, list := range []string{"corp", "arn:aws:codeartifact:us-east-1:111122223333:repository/corp/main", "arn:aws:s3:::bucket"} {
		if _, err := ParseCodeArtifactDomains(list, ""); err == nil {
			t.Errorf("ParseCodeArtifactDomains(%q) returned no error", list)
		}
	}
}

func ptr(s string) *string { return &s }

func TestCodeArtifactDomainARNPartition(t *testing.T) {
	tests := []struct {
		region string
		want   string
	}{
		{"us-east-1", "arn:aws:codeartifact:us-east-1:111122223333:domain/corp"},
		{"cn-north-1", "arn:aws-cn:codeartifact:cn-north-1:111122223333:domain/corp"},
		{"us-gov-west-1", "arn:aws-us-gov:codeartifact:us-gov-west-1:111122223333:domain/corp"},
	}
	for _, tt := range tests {
		repo := request.CodeArtifactRepository{Domain: "corp", Owner: "111122223333", Region: tt.region}
		if got := CodeArtifactDomainARN(repo); got != tt.want {
			t.Errorf("CodeArtifactDomainARN in %s = %s, want %s", tt.region, got, tt.want)
		}
	}
}
