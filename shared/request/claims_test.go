package request_test

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

func readClaimsExample(t *testing.T, name string) request.Request {
	t.Helper()
	data, err := os.ReadFile("../../examples/" + name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	req, err := request.Parse(data)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return req
}

func TestClaimsOfPrivateLinkRequest(t *testing.T) {
	req := readClaimsExample(t, "aws-privatelink.json")
	req.Snowflake.Account = "MyOrg-Analytics"

	got := request.Claims(req)
	names := workflow.NamesFor(req)
	sf := req.Snowflake
	want := []request.Claim{
		{Kind: request.ClaimObject, Noun: "secret", Name: snowflake.Qualified(sf.Database, sf.Schema, names.Secret), Account: "myorg-analytics"},
		{Kind: request.ClaimObject, Noun: "API integration", Name: snowflake.Ident(names.Integration), Account: "myorg-analytics"},
		{Kind: request.ClaimObject, Noun: "artifact repository", Name: snowflake.Qualified(sf.Database, sf.Schema, names.Repository), Account: "myorg-analytics"},
		{Kind: request.ClaimHost, Noun: "index host", Name: "pypi.corp.example.com", Account: "myorg-analytics"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Claims (-want +got):\n%s", diff)
	}
}

func TestClaimsOfPublicRequestHaveNoHost(t *testing.T) {
	req := readClaimsExample(t, "public.json")
	for _, c := range request.Claims(req) {
		if c.Kind == request.ClaimHost {
			t.Errorf("public request claims host %q, want none", c.Name)
		}
	}
	if got := len(request.Claims(req)); got != 3 {
		t.Errorf("public request has %d claims, want 3 objects", got)
	}
}

func TestClaimKeyIgnoresCase(t *testing.T) {
	a := readClaimsExample(t, "aws-privatelink.json")
	b := a
	b.ID = "OTHER-1"
	b.Snowflake.Account = "MYORG-ANALYTICS"
	b.Repository.IndexURL = "https://PyPI.Corp.Example.com/simple/"
	b.Repository.Name = "corp_pypi"
	b.Snowflake.Database = "platform"

	claimsA, claimsB := request.Claims(a), request.Claims(b)
	if len(claimsA) != len(claimsB) {
		t.Fatalf("claims %d and %d, want the same number", len(claimsA), len(claimsB))
	}
	for i := range claimsA {
		if claimsA[i].Key() != claimsB[i].Key() {
			t.Errorf("claim %s has key %q, and %s of the other request %q, want the same", claimsA[i], claimsA[i].Key(), claimsB[i], claimsB[i].Key())
		}
	}
}

func TestClaimKeyKeepsQuotedCase(t *testing.T) {
	a := readClaimsExample(t, "aws-privatelink.json")
	a.Repository.Name = "corp-pypi"
	b := a
	b.Repository.Name = "CORP-PYPI"

	claimsA, claimsB := request.Claims(a), request.Claims(b)
	if claimsA[1].Key() == claimsB[1].Key() {
		t.Errorf("integrations %s and %s have the same key, want different ones", claimsA[1], claimsB[1])
	}
}

func TestDefaultClaim(t *testing.T) {
	a := readClaimsExample(t, "aws-privatelink.json")
	claim, ok := request.DefaultClaim(a)
	if !ok {
		t.Fatal("DefaultClaim of a request with default_for schema returned no claim")
	}
	want := request.Claim{Kind: request.ClaimDefault, Noun: "default level", Name: "SCHEMA PLATFORM.PACKAGES", Account: "myorg-analytics"}
	if diff := cmp.Diff(want, claim); diff != "" {
		t.Errorf("DefaultClaim (-want +got):\n%s", diff)
	}

	b := a
	b.Snowflake.Account = "MYORG-ANALYTICS"
	b.Repository.Name = "team_pypi"
	if other, _ := request.DefaultClaim(b); other.Key() != claim.Key() {
		t.Errorf("same level in another account case: key %q, want %q", other.Key(), claim.Key())
	}

	b.Repository.DefaultFor = "database"
	if other, _ := request.DefaultClaim(b); other.Key() == claim.Key() {
		t.Errorf("database level has the key %q of the schema level, want another", other.Key())
	}

	b.Repository.DefaultFor = "none"
	if _, ok := request.DefaultClaim(b); ok {
		t.Error("DefaultClaim of a request with default_for none returned a claim, want none")
	}
}
