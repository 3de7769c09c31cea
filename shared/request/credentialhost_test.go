package request

import "testing"

// TestSharedCredentialComparesIndexHosts checks that a credential shared
// between two requests counts only when their index hosts differ, whatever
// their extra prefixes, routes and accounts.
func TestSharedCredentialComparesIndexHosts(t *testing.T) {
	const ref = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:index-password"
	first := Request{ID: "A", Route: RouteAWSPrivateLink}
	first.Snowflake.Account = "acct-one"
	first.Repository.IndexURL = "https://pypi.corp.example.com/simple/"
	first.Repository.Auth = Auth{Type: "password", Username: "svc", PasswordRef: ref}

	sameHost := first
	sameHost.ID = "B"
	sameHost.Route = RoutePublic
	sameHost.Snowflake.Account = "acct-two"
	sameHost.Repository.IndexURL = "https://PYPI.corp.example.com./other/simple/"
	sameHost.Repository.ExtraAllowedPrefixes = []string{"https://files.elsewhere.example.net/"}
	if _, _, ok := SharedCredential(sameHost, first); ok {
		t.Error("same index host: SharedCredential = true, want false")
	}

	otherHost := first
	otherHost.ID = "C"
	otherHost.Snowflake.Account = "acct-two"
	otherHost.Repository.IndexURL = "https://pypi.other.example.net/simple/"
	otherHost.Repository.Auth = Auth{Type: "token", TokenRef: "aws-secretsmanager:index-password#token"}
	mine, theirs, ok := SharedCredential(otherHost, first)
	if !ok {
		t.Fatal("other index host with the same secret: SharedCredential = false, want true")
	}
	if mine.Path != "$.repository.auth.token_ref" {
		t.Errorf("mine.Path = %q, want $.repository.auth.token_ref", mine.Path)
	}
	if theirs.Path != "$.repository.auth.password_ref" {
		t.Errorf("theirs.Path = %q, want $.repository.auth.password_ref", theirs.Path)
	}

	ownSecret := otherHost
	ownSecret.Repository.Auth = Auth{Type: "token", TokenRef: "aws-secretsmanager:other-token"}
	if _, _, ok := SharedCredential(ownSecret, first); ok {
		t.Error("other index host with its own secret: SharedCredential = true, want false")
	}
}
