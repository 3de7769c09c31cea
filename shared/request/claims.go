package request

import (
	"net/url"
	"strings"

	"github.com/repolink/repolink/shared/snowflake"
)

// Kinds of a Claim.
const (
	// ClaimObject is a SECRET, API INTEGRATION or ARTIFACT REPOSITORY.
	ClaimObject = "object"
	// ClaimHost is the host name that a private endpoint carries.
	ClaimHost = "host"
	// ClaimDefault is the object on which repository.default_for sets
	// DEFAULT_PYTHON_ARTIFACT_REPOSITORY (DefaultTarget).
	ClaimDefault = "default"
)

// Claim is a name in a Snowflake account that a provision execution of a
// request takes, and that no execution of another request ID may take
// while the resources of the first one may exist.
type Claim struct {
	// Kind is ClaimObject, ClaimHost or ClaimDefault.
	Kind string
	// Noun names the kind of object in messages: "secret", "API
	// integration", "artifact repository", "index host" or "default
	// level".
	Noun string
	// Name is the object's identifier as snowflake.Ident renders each
	// part, qualified for a schema object, the lower-case host name, or
	// the default level as DefaultTarget returns it.
	// Ident upper-cases an unquoted name as Snowflake does and keeps the
	// case of a quoted one, so two equal names are the same object.
	Name string
	// Account is the AccountKey of the Snowflake account identifier, so
	// that two spellings of one account clash.
	Account string
	// LegacyAccount is LegacyAccountKey of the account identifier when it
	// differs from Account, and "" otherwise: the account part of the key
	// that claims had before they used AccountKey.
	LegacyAccount string
}

// Key returns the string that identifies the claim among all claims: two
// claims with the same key clash.
func (c Claim) Key() string {
	return c.Account + "\x00" + c.Noun + "\x00" + c.Name
}

// LegacyKey returns the key that the claim had before claims keyed the
// account by AccountKey, such as for xy12345.us-west-2.aws, or Key when
// the two are equal. A check that reads stored claims by key reads both,
// so that a claim written before still counts.
func (c Claim) LegacyKey() string {
	if c.LegacyAccount == "" {
		return c.Key()
	}
	return c.LegacyAccount + "\x00" + c.Noun + "\x00" + c.Name
}

// String returns the noun and the name, such as "API integration
// CORP_PYPI_INTEGRATION".
func (c Claim) String() string { return c.Noun + " " + c.Name }

// Claims returns the names that a provision execution of r takes in its
// Snowflake account. They are its SECRET, API INTEGRATION and ARTIFACT
// REPOSITORY, in the order the steps create them, and then the host of its
// private endpoint on a private-link route. A request without a repository name
// claims no object, and one without an endpoint host no host.
func Claims(r Request) []Claim {
	account := AccountKey(r.Snowflake.Account)
	legacy := legacyClaimAccount(r.Snowflake.Account)
	var claims []Claim
	if name := r.Repository.Name; name != "" {
		// The names follow workflow.NamesFor, which the steps use; a test
		// of this package compares the two.
		sf := r.Snowflake
		claims = append(claims,
			Claim{Kind: ClaimObject, Noun: "secret", Name: snowflake.Qualified(sf.Database, sf.Schema, name+"_SECRET"), Account: account, LegacyAccount: legacy},
			Claim{Kind: ClaimObject, Noun: "API integration", Name: snowflake.Ident(name + "_INTEGRATION"), Account: account, LegacyAccount: legacy},
			Claim{Kind: ClaimObject, Noun: "artifact repository", Name: snowflake.Qualified(sf.Database, sf.Schema, name), Account: account, LegacyAccount: legacy},
		)
	}
	if host := EndpointHost(r); host != "" {
		claims = append(claims, Claim{Kind: ClaimHost, Noun: "index host", Name: host, Account: account, LegacyAccount: legacy})
	}
	return claims
}

// DefaultClaim returns the claim of the level that r's
// repository.default_for names, and false when r sets no default. It is
// not one of Claims, because a run that moves default_for unsets the level
// that an earlier run of its request set, where a renamed object stays
// until a teardown. So a holder of this claim holds it only while its
// request's latest run that may have built still names the level.
func DefaultClaim(r Request) (Claim, bool) {
	target := DefaultTarget(r)
	if target == "" {
		return Claim{}, false
	}
	return Claim{Kind: ClaimDefault, Noun: "default level", Name: target, Account: AccountKey(r.Snowflake.Account),
		LegacyAccount: legacyClaimAccount(r.Snowflake.Account)}, true
}

// legacyClaimAccount returns LegacyAccountKey(account) when it differs
// from AccountKey(account), and "" otherwise.
func legacyClaimAccount(account string) string {
	if legacy := LegacyAccountKey(account); legacy != AccountKey(account) {
		return legacy
	}
	return ""
}

// EndpointHost returns the host of the Snowflake private endpoint that a
// provision execution of r provisions, in lower case, or "" for a route
// without a private endpoint (public, egress-ip) or an index URL without a
// host. An account routes a host name to one private endpoint only.
func EndpointHost(r Request) string {
	switch r.Route {
	case RouteAWSPrivateLink, RouteAzurePrivateLink, RouteGCPPrivateLink:
	default:
		return ""
	}
	u, err := url.Parse(r.Repository.IndexURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
