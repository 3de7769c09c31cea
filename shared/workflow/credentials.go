package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/request"
)

// IndexToken is a short-lived index token and its expiry. Value is a
// credential: it goes into a SECRET statement and nowhere else.
type IndexToken struct {
	Value     string
	ExpiresAt time.Time
}

// TokenIssuer gets CodeArtifact authorization tokens.
type TokenIssuer interface {
	// AuthorizationToken returns a token for the repositories of the domain
	// that owner owns, valid for duration.
	AuthorizationToken(ctx context.Context, domain, owner string, duration time.Duration) (IndexToken, error)
}

// CredentialExpiry records when the index credential in a run's SECRET
// expires. It holds no credential.
type CredentialExpiry struct {
	// Secret is the fully qualified SECRET name, the key of the record
	// together with the Snowflake account.
	Secret    string          `json:"secret"`
	Execution string          `json:"execution"`
	Request   request.Request `json:"request"`
	// Renewable is true when repolink gets the token itself (auth type
	// codeartifact), so the poller can replace it. Otherwise the poller
	// only warns before ExpiresAt.
	Renewable bool `json:"renewable"`
	// IssuedAt and ExpiresAt bound the credential's lifetime. For a
	// credential that repolink did not get itself they are estimates:
	// IssuedAt is when the run stored it, and ExpiresAt assumes the
	// longest lifetime that the index product allows.
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// WarnedAt is when the poller last warned that the credential expires
	// soon, zero if it has not.
	WarnedAt time.Time `json:"warned_at,omitzero"`
	// RenewingUntil is when the claim of a poller that is renewing the
	// token lapses, zero when none is. Until then a run that sets another
	// credential in the SECRET waits, so that the renewal cannot
	// overwrite it.
	RenewingUntil time.Time `json:"renewing_until,omitzero"`
}

// Key returns the registry key: the Snowflake account and the SECRET.
func (c CredentialExpiry) Key() string {
	return CredentialKey(c.Request.Snowflake.Account, c.Secret)
}

// CredentialKey returns the registry key of a SECRET in an account.
func CredentialKey(account, secret string) string {
	return strings.ToLower(account) + "/" + secret
}

// CredentialRegistry stores the expiry records of index credentials. Put
// replaces the record with the same key.
type CredentialRegistry interface {
	Put(ctx context.Context, c CredentialExpiry) error
	List(ctx context.Context) ([]CredentialExpiry, error)
	Delete(ctx context.Context, key string) error
	// Update changes the record of key as one atomic step. It passes the
	// stored record, or nil when there is none, to change and stores the
	// record that change returns, or deletes it when change returns nil.
	// When another writer changes the record in between, Update reads it
	// again and calls change again. An error from change is returned, and
	// nothing is written.
	Update(ctx context.Context, key string, change func(stored *CredentialExpiry) (*CredentialExpiry, error)) error
}

// CodeArtifactToken gets a token for the CodeArtifact domain of a request of
// auth type codeartifact, with the duration that the request sets. It
// returns InvalidRequest for a domain that e.CodeArtifactDomains does not
// list.
func (e *Env) CodeArtifactToken(ctx context.Context, req request.Request) (IndexToken, error) {
	repo, err := request.ParseCodeArtifactURL(req.Repository.IndexURL)
	if err != nil {
		return IndexToken{}, Invalid("$.repository.index_url: %v", err)
	}
	if e.CodeArtifactDomains != nil && !e.CodeArtifactDomains.Allows(repo) {
		return IndexToken{}, Invalid("$.repository.index_url: %s", e.CodeArtifactDomains.rejection(repo))
	}
	if e.CodeArtifact == nil {
		return IndexToken{}, Invalid("$.repository.auth.type codeartifact is not supported by this deployment, which cannot call CodeArtifact; " +
			"store a token with auth type password and user aws, and rotate it yourself")
	}
	issuer, err := e.CodeArtifact(ctx, repo.Region)
	if err != nil {
		return IndexToken{}, err
	}
	token, err := issuer.AuthorizationToken(ctx, repo.Domain, repo.Owner, req.Repository.Auth.CodeArtifactTokenDuration())
	if err != nil {
		return IndexToken{}, fmt.Errorf("get the CodeArtifact token for $.repository.auth: %w", err)
	}
	return token, nil
}
