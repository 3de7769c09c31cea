package request

import "testing"

func TestPrivateLinkHosts(t *testing.T) {
	req := parsedExample(t)
	req.Repository.ExtraAllowedPrefixes = []string{"https://Files.Example.com/pkgs/", "https://cdn.example.com/"}
	got := PrivateLinkHosts(req)
	want := []HostUse{
		{Host: "pypi.corp.example.com", Field: IndexURLField},
		{Host: "files.example.com", Field: "$.repository.extra_allowed_prefixes[0]"},
		{Host: "cdn.example.com", Field: "$.repository.extra_allowed_prefixes[1]"},
	}
	if len(got) != len(want) {
		t.Fatalf("PrivateLinkHosts = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("PrivateLinkHosts[%d] = %v, want %v", i, got[i], want[i])
		}
	}

	req.Route = RoutePublic
	if got := PrivateLinkHosts(req); got != nil {
		t.Errorf("PrivateLinkHosts of a public request = %v, want nil", got)
	}
}

func TestSharedHost(t *testing.T) {
	owner := parsedExample(t)
	lister := owner
	lister.ID = "XP-1"
	lister.Repository.IndexURL = "https://pypi.public.example.com/simple/"
	lister.Repository.ExtraAllowedPrefixes = []string{"https://cdn.example.com/", "https://PyPI.Corp.Example.com/"}

	mine, theirs, ok := SharedHost(lister, owner)
	if !ok {
		t.Fatal("SharedHost of an extra prefix on another request's index host = false, want true")
	}
	if mine.Host != "pypi.corp.example.com" || mine.Field != "$.repository.extra_allowed_prefixes[1]" {
		t.Errorf("mine = %v, want pypi.corp.example.com at $.repository.extra_allowed_prefixes[1]", mine)
	}
	if theirs.Field != IndexURLField {
		t.Errorf("theirs = %v, want the field %s", theirs, IndexURLField)
	}

	mine, theirs, ok = SharedHost(owner, lister)
	if !ok || mine.Field != IndexURLField || theirs.Field != "$.repository.extra_allowed_prefixes[1]" {
		t.Errorf("SharedHost(owner, lister) = %v, %v, %v, want the index host against the extra prefix", mine, theirs, ok)
	}

	lister.Snowflake.Account = "myorg-analytics.us-west-2"
	if _, _, ok := SharedHost(lister, owner); !ok {
		t.Error("SharedHost across spellings of one account = false, want true")
	}
	lister.Snowflake.Account = "myorg-finance"
	if _, _, ok := SharedHost(lister, owner); ok {
		t.Error("SharedHost across accounts = true, want false")
	}
}

func TestSharedHostIgnoresCommonExtraHost(t *testing.T) {
	a := parsedExample(t)
	a.Repository.ExtraAllowedPrefixes = []string{"https://cdn.example.com/"}
	b := a
	b.ID = "OTHER-1"
	b.Repository.IndexURL = "https://pypi.other.example.com/simple/"
	if mine, theirs, ok := SharedHost(a, b); ok {
		t.Errorf("SharedHost = %v, %v, want no clash for an extra host that no endpoint carries", mine, theirs)
	}
}

func TestExtraHostClaims(t *testing.T) {
	owner := parsedExample(t)
	lister := owner
	lister.Repository.IndexURL = "https://pypi.public.example.com/simple/"
	lister.Repository.ExtraAllowedPrefixes = []string{"https://pypi.public.example.com/files/", "https://PYPI.corp.example.com/", "https://pypi.corp.example.com/x/"}

	claims := ExtraHostClaims(lister)
	if len(claims) != 1 {
		t.Fatalf("ExtraHostClaims = %v, want one claim", claims)
	}
	var hostClaim Claim
	for _, c := range Claims(owner) {
		if c.Kind == ClaimHost {
			hostClaim = c
		}
	}
	if claims[0].Key() != hostClaim.Key() {
		t.Errorf("extra host claim key %q, want the owner's host claim key %q", claims[0].Key(), hostClaim.Key())
	}
	if claims[0].Field != "$.repository.extra_allowed_prefixes[1]" {
		t.Errorf("Field = %q, want $.repository.extra_allowed_prefixes[1]", claims[0].Field)
	}
}
