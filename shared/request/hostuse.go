package request

import (
	"fmt"
	"net/url"
	"strings"
)

// IndexURLField is the request field of the index host.
const IndexURLField = "$.repository.index_url"

// HostUse is a host that a private-link request reaches through a private
// endpoint of its Snowflake account, and the request field that names it.
type HostUse struct {
	// Host is the host name in lower case.
	Host string
	// Field is IndexURLField for the host of the request's own private
	// endpoint (EndpointHost), or $.repository.extra_allowed_prefixes[N].
	Field string
}

// Endpoint reports whether the request's own private endpoint carries the
// host.
func (u HostUse) Endpoint() bool { return u.Field == IndexURLField }

// PrivateLinkHosts returns the hosts that r reaches through private
// endpoints: its endpoint host first, then the host of each
// repository.extra_allowed_prefixes entry. An account routes a host name to
// one private endpoint only, so an extra prefix whose host another
// request's endpoint carries passes through that request's endpoint. It
// returns nil for a route without a private endpoint, and skips an entry
// without a host.
func PrivateLinkHosts(r Request) []HostUse {
	host := EndpointHost(r)
	if host == "" {
		return nil
	}
	uses := []HostUse{{Host: host, Field: IndexURLField}}
	for i, prefix := range r.Repository.ExtraAllowedPrefixes {
		u, err := url.Parse(prefix)
		if err != nil || u.Hostname() == "" {
			continue
		}
		uses = append(uses, HostUse{Host: strings.ToLower(u.Hostname()), Field: fmt.Sprintf("$.repository.extra_allowed_prefixes[%d]", i)})
	}
	return uses
}

// SharedHost returns the first host that a and b, two private-link
// requests in the same Snowflake account (SameAccount), both reach while
// the private endpoint of at least one of them carries it, with the use of
// each. Two requests that only list the same extra prefix host share no
// endpoint, so that is no clash.
func SharedHost(a, b Request) (mine, theirs HostUse, ok bool) {
	if !SameAccount(a.Snowflake.Account, b.Snowflake.Account) {
		return HostUse{}, HostUse{}, false
	}
	usesB := PrivateLinkHosts(b)
	for _, ua := range PrivateLinkHosts(a) {
		for _, ub := range usesB {
			if ua.Host == ub.Host && (ua.Endpoint() || ub.Endpoint()) {
				return ua, ub, true
			}
		}
	}
	return HostUse{}, HostUse{}, false
}

// ExtraHostClaim is the host claim (ClaimHost) that a request whose private
// endpoint carries Host takes, for a host that another request lists in
// Field, one of its repository.extra_allowed_prefixes entries.
type ExtraHostClaim struct {
	Claim
	Field string
}

// ExtraHostClaims returns an ExtraHostClaim for each host of r's
// repository.extra_allowed_prefixes other than its endpoint host, once
// each. A check reads these claims and never takes them, because two
// requests may list one extra host when no endpoint of theirs carries it.
func ExtraHostClaims(r Request) []ExtraHostClaim {
	uses := PrivateLinkHosts(r)
	if len(uses) == 0 {
		return nil
	}
	account := AccountKey(r.Snowflake.Account)
	legacy := legacyClaimAccount(r.Snowflake.Account)
	seen := map[string]bool{uses[0].Host: true}
	var claims []ExtraHostClaim
	for _, use := range uses[1:] {
		if seen[use.Host] {
			continue
		}
		seen[use.Host] = true
		claim := Claim{Kind: ClaimHost, Noun: "index host", Name: use.Host, Account: account, LegacyAccount: legacy}
		claims = append(claims, ExtraHostClaim{Claim: claim, Field: use.Field})
	}
	return claims
}
