package defaultrepo

import (
	"context"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/workflow"
)

// TestSandboxDefaultLevelAcrossAccountSpellings runs the default step of a
// second request that writes the first request's account with a region
// suffix, which logs in to the same account. It fails with a Conflict and
// leaves the first request's default alone.
func TestSandboxDefaultLevelAcrossAccountSpellings(t *testing.T) {
	sb := startWithFirstDefault(t)

	second := sb.Document()
	second.Request.ID = "DEF-2"
	second.Request.Repository.Name = "other_pypi"
	second.Request.Snowflake.Account = "MyOrg-Analytics.us-west-2"
	out, err := Run(t.Context(), sb.Env, second)
	if name := workflow.NameOf(err); name != workflow.ErrConflict {
		t.Errorf("run of the second request = %+v, %v, want a Conflict", out, err)
	}
	if value, level := valueOn(t, sb, "SCHEMA PLATFORM.PACKAGES"); level != "SCHEMA" || value != "PLATFORM.PACKAGES.CORP_PYPI" {
		t.Errorf("schema default = %q from %q, want the first request's repository", value, level)
	}
}

// legacyClaims is a DefaultRegistry that holds one claim under a key
// of its own, as a store written before LevelClaimKey used
// request.AccountKey does, and passes every other key on.
type legacyClaims struct {
	*sfsandbox.Defaults
	key   string
	claim *workflow.LevelClaim
}

func (r *legacyClaims) UpdateClaim(ctx context.Context, key string, change workflow.ChangeClaim) error {
	if key != r.key {
		return r.Defaults.UpdateClaim(ctx, key, change)
	}
	next, write, err := change(r.claim)
	if err != nil || !write {
		return err
	}
	r.claim = next
	return nil
}

// TestLegacyLevelClaimCounts stores a claim under the key that claims had
// before LevelClaimKey used request.AccountKey. Another request with the
// same account text must not take the level, and the holder's ReleaseLevel
// deletes the old claim.
func TestLegacyLevelClaimCounts(t *testing.T) {
	const target = "SCHEMA PLATFORM.PACKAGES"
	sb := sfsandbox.Start(t)
	holder := sb.Document().Request
	holder.Snowflake.Account = "myorg-analytics.us-west-2"
	legacy := workflow.LegacyLevelClaimKey(holder.Snowflake.Account, target)
	if legacy == workflow.LevelClaimKey(holder.Snowflake.Account, target) {
		t.Fatalf("legacy key %q equals the claim key, want another", legacy)
	}
	registry := &legacyClaims{Defaults: &sfsandbox.Defaults{}, key: legacy, claim: &workflow.LevelClaim{
		Account: holder.Snowflake.Account, Level: "schema", Target: target,
		Request: holder.ID, Repository: "PLATFORM.PACKAGES.CORP_PYPI",
	}}

	other := holder
	other.ID = "DEF-2"
	err := TakeLevel(t.Context(), registry, sb.Conn, other, "schema", target, "PLATFORM.PACKAGES.OTHER_PYPI", false)
	if name := workflow.NameOf(err); name != workflow.ErrConflict {
		t.Errorf("TakeLevel of another request: error name = %q (%v), want %q", name, err, workflow.ErrConflict)
	}
	if registry.claim == nil || registry.claim.Request != holder.ID {
		t.Errorf("legacy claim after the rejected TakeLevel = %+v, want the holder's", registry.claim)
	}

	if err := ReleaseLevel(t.Context(), registry, holder, target); err != nil {
		t.Fatalf("ReleaseLevel: %v", err)
	}
	if registry.claim != nil {
		t.Errorf("legacy claim after ReleaseLevel = %+v, want none", registry.claim)
	}
}

// TestTakeLevelMovesOwnLegacyClaim lets the holder of a claim under the
// legacy key take its level again. The claim moves to LevelClaimKey.
func TestTakeLevelMovesOwnLegacyClaim(t *testing.T) {
	const target = "SCHEMA PLATFORM.PACKAGES"
	sb := sfsandbox.Start(t)
	holder := sb.Document().Request
	holder.Snowflake.Account = "myorg-analytics.us-west-2"
	registry := &legacyClaims{Defaults: &sfsandbox.Defaults{}, key: workflow.LegacyLevelClaimKey(holder.Snowflake.Account, target),
		claim: &workflow.LevelClaim{Account: holder.Snowflake.Account, Level: "schema", Target: target, Request: holder.ID, Repository: "PLATFORM.PACKAGES.CORP_PYPI"}}

	if err := TakeLevel(t.Context(), registry, sb.Conn, holder, "schema", target, "PLATFORM.PACKAGES.CORP_PYPI", false); err != nil {
		t.Fatalf("TakeLevel: %v", err)
	}
	if registry.claim != nil {
		t.Errorf("legacy claim after TakeLevel = %+v, want none", registry.claim)
	}
	var moved *workflow.LevelClaim
	err := registry.Defaults.UpdateClaim(t.Context(), workflow.LevelClaimKey(holder.Snowflake.Account, target), func(s *workflow.LevelClaim) (*workflow.LevelClaim, bool, error) {
		moved = s
		return nil, false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if moved == nil || moved.Request != holder.ID {
		t.Errorf("claim under LevelClaimKey = %+v, want the holder's", moved)
	}
}
