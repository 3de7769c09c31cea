package request

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/repolink/repolink/shared/secretref"
)

// ClaimCredential is the kind of a claim on an index credential, which
// binds the credential to the index host of the request that used it
// first (CredentialClaims).
const ClaimCredential = "credential"

// IndexCredentialRefs returns the index credential references that r sets,
// $.repository.auth.password_ref and $.repository.auth.token_ref, with
// their paths.
func IndexCredentialRefs(r Request) []CredentialRef {
	var refs []CredentialRef
	if ref := r.Repository.Auth.PasswordRef; ref != "" {
		refs = append(refs, CredentialRef{"$.repository.auth.password_ref", ref})
	}
	if ref := r.Repository.Auth.TokenRef; ref != "" {
		refs = append(refs, CredentialRef{"$.repository.auth.token_ref", ref})
	}
	return refs
}

// IndexHost returns the host name of r's repository.index_url in lower
// case, on every route, or "" when the URL has none. Preflight and
// Snowflake send the index credential to this host only. The hosts of
// repository.extra_allowed_prefixes receive requests without it.
func IndexHost(r Request) string {
	u, err := url.Parse(r.Repository.IndexURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
}

// SharedCredential returns the first index credential reference of a that
// names the same secret (secretref.Same) as one of b, with that reference
// of b, when the two requests send it to different index hosts
// (IndexHost). Two requests with one credential and one index host, such
// as two repositories on one server, share nothing here.
func SharedCredential(a, b Request) (mine, theirs CredentialRef, ok bool) {
	if IndexHost(a) == IndexHost(b) {
		return CredentialRef{}, CredentialRef{}, false
	}
	refsB := IndexCredentialRefs(b)
	for _, ra := range IndexCredentialRefs(a) {
		for _, rb := range refsB {
			if secretref.Same(ra.Ref, rb.Ref) {
				return ra, rb, true
			}
		}
	}
	return CredentialRef{}, CredentialRef{}, false
}

// IndexCredentialKeys returns the lookup keys of r's index credential
// references (secretref.ID.Keys), once each. Two requests whose references
// SharedCredential matches share at least one key, in any Snowflake
// account.
func IndexCredentialKeys(r Request) []string {
	var keys []string
	seen := map[string]bool{}
	for _, ref := range IndexCredentialRefs(r) {
		for _, key := range secretref.Parse(ref.Ref).Keys() {
			if !seen[key] {
				seen[key] = true
				keys = append(keys, key)
			}
		}
	}
	return keys
}

// CredentialClaim is the claim of an index credential (ClaimCredential)
// that a request takes for one lookup key of its reference Ref in the
// request field Field.
type CredentialClaim struct {
	Claim
	Field string
	Ref   string
}

// CredentialClaims returns a CredentialClaim for each lookup key of r's
// index credential references (secretref.ID.Keys), once each. A claim of
// a credential is in no Snowflake account, because the credential reaches
// the index host from any account. The keys are coarse, so a claim store
// compares the holder's reference with secretref.Same before it counts
// a clash.
func CredentialClaims(r Request) []CredentialClaim {
	var claims []CredentialClaim
	seen := map[string]bool{}
	for _, ref := range IndexCredentialRefs(r) {
		for _, key := range secretref.Parse(ref.Ref).Keys() {
			if seen[key] {
				continue
			}
			seen[key] = true
			// %q keeps the key printable, because it joins its parts with NUL.
			claim := Claim{Kind: ClaimCredential, Noun: "index credential", Name: fmt.Sprintf("%q", key)}
			claims = append(claims, CredentialClaim{Claim: claim, Field: ref.Path, Ref: ref.Ref})
		}
	}
	return claims
}
