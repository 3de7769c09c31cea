package workflow

import (
	"context"
	"strings"

	"github.com/repolink/repolink/shared/request"
)

// DefaultSetting records that a run of a request set
// DEFAULT_PYTHON_ARTIFACT_REPOSITORY on one level to the request's
// repository. A later run that moves the default to another level unsets
// the recorded one, also when a person made the repository, because the
// record shows that the run set that level and not the person.
type DefaultSetting struct {
	Account string `json:"account"`
	Request string `json:"request"`
	// Level is account, database or schema.
	Level    string `json:"level"`
	Database string `json:"database,omitempty"`
	Schema   string `json:"schema,omitempty"`
	// Target is the object that sets the parameter, as ALTER takes it,
	// such as SCHEMA PLATFORM.PACKAGES.
	Target string `json:"target"`
	// Repository is the qualified repository name that the run set.
	Repository string `json:"repository"`
	// Replaced is the value that the level had when the run set it and
	// that no run of the request had set, such as a repository that a
	// person chose. Teardown names it but does not restore it.
	Replaced string `json:"replaced,omitempty"`
}

// Key returns the registry key: the lowercase Snowflake account, the
// request and the target. The account stays the lowercase text, not
// request.AccountKey, because the key contains the request, so no two
// requests share it, and records written before keep their keys.
func (d DefaultSetting) Key() string {
	return strings.ToLower(d.Account) + "/" + d.Request + "/" + d.Target
}

// DefaultRegistry stores the levels on which runs set the default
// repository parameter, and the claims on those levels. Put replaces the
// record with the same key, and deleting a missing record is not an error.
//
// UpdateClaim changes the claim of key as one atomic step. It passes the
// stored claim, or nil, to change and stores what change returns only
// while the stored claim is still the one it read. After a concurrent
// write it reads again and calls change again, a bounded number of times.
// An error from change is returned, and nothing is written.
type DefaultRegistry interface {
	Put(ctx context.Context, d DefaultSetting) error
	List(ctx context.Context) ([]DefaultSetting, error)
	Delete(ctx context.Context, key string) error
	UpdateClaim(ctx context.Context, key string, change ChangeClaim) error
}

// LevelClaim records which request owns one default level, which is the
// object that sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY in one Snowflake
// account.
// The default step takes it with a conditional write before it sets the
// parameter, so that of two requests that name the same level at the same
// moment only one sets it. Teardown and a run that moves default_for
// elsewhere release it.
type LevelClaim struct {
	Account string `json:"account"`
	// Level is account, database or schema.
	Level string `json:"level"`
	// Target is the object that sets the parameter, as ALTER takes it.
	Target string `json:"target"`
	// Request is the ID of the request that owns the level.
	Request string `json:"request"`
	// Repository is the qualified repository name that the request sets.
	Repository string `json:"repository"`
	// Set is true once a run of Request has set the parameter. Until then
	// the level's value does not show the claim, so no other request may
	// take the level over.
	Set bool `json:"set,omitempty"`
}

// Key returns the claim key (LevelClaimKey): the Snowflake account and
// the target. It has no request, so two requests compete for the same key.
func (c LevelClaim) Key() string {
	return LevelClaimKey(c.Account, c.Target)
}

// LevelClaimKey returns the claim key of target in the Snowflake account.
// The account part is request.AccountKey, so that requests that write one
// account in two ways compete for one key.
func LevelClaimKey(account, target string) string {
	return request.AccountKey(account) + "/" + target
}

// LegacyLevelClaimKey returns the key that a claim on target taken before
// LevelClaimKey used request.AccountKey has. It differs from
// LevelClaimKey only for an account written with a suffix that
// AccountKey drops, such as xy12345.us-west-2.aws.
func LegacyLevelClaimKey(account, target string) string {
	return request.LegacyAccountKey(account) + "/" + target
}

// ChangeClaim is the function that DefaultRegistry.UpdateClaim passes the
// stored claim to, or nil when the level has none. It returns the claim to
// store, nil to delete the stored one, and write false to leave the store
// as it is.
type ChangeClaim func(stored *LevelClaim) (next *LevelClaim, write bool, err error)
