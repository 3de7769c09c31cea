package defaultrepo

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// TakeLevel takes the claim on target, the object of level, for req with
// one conditional write in registry, before the default step sets the
// parameter there. set is true when target already sets the parameter to
// repo. When req already has the claim, TakeLevel writes only if the claim
// changes, such as when the level is now set or no longer set, so a second
// run of the step changes nothing.
//
// TakeLevel fails with a Conflict, and writes nothing, when another
// request has the claim and either has not set the level yet or the level
// still names that request's repository. It takes over a claim whose level
// a person has since unset or changed. A nil registry claims nothing.
func TakeLevel(ctx context.Context, registry workflow.DefaultRegistry, conn snowflake.Conn, req request.Request, level, target, repo string, set bool) error {
	if registry == nil {
		return nil
	}
	mine := workflow.LevelClaim{
		Account: req.Snowflake.Account, Level: level, Target: target,
		Request: req.ID, Repository: repo, Set: set,
	}
	if legacy := workflow.LegacyLevelClaimKey(req.Snowflake.Account, target); legacy != mine.Key() {
		if err := takeLegacyLevel(ctx, registry, conn, legacy, mine); err != nil {
			return err
		}
	}
	// conflict is returned as it is, because its message names the level
	// already.
	var conflict error
	err := registry.UpdateClaim(ctx, mine.Key(), func(stored *workflow.LevelClaim) (*workflow.LevelClaim, bool, error) {
		var next *workflow.LevelClaim
		var write bool
		var err error
		next, write, conflict, err = nextLevelClaim(ctx, conn, stored, mine)
		if conflict != nil {
			return nil, false, conflict
		}
		return next, write, err
	})
	if conflict != nil {
		return conflict
	}
	if err != nil {
		return fmt.Errorf("claim %s on %s for request %s: %w", parameter, target, req.ID, err)
	}
	return nil
}

// takeLegacyLevel deletes the claim under legacy, the key that a claim on
// mine's level had before LevelClaimKey used request.AccountKey, when
// mine's request has it or may take it over, so that the claim then lives
// under LevelClaimKey only. It fails with the Conflict of TakeLevel when
// another request holds that claim.
func takeLegacyLevel(ctx context.Context, registry workflow.DefaultRegistry, conn snowflake.Conn, legacy string, mine workflow.LevelClaim) error {
	var conflict error
	err := registry.UpdateClaim(ctx, legacy, func(stored *workflow.LevelClaim) (*workflow.LevelClaim, bool, error) {
		conflict = nil
		if stored == nil {
			return nil, false, nil
		}
		if stored.Request != mine.Request {
			_, _, c, err := nextLevelClaim(ctx, conn, stored, mine)
			conflict = c
			if c != nil {
				return nil, false, c
			}
			if err != nil {
				return nil, false, err
			}
		}
		return nil, true, nil
	})
	if conflict != nil {
		return conflict
	}
	if err != nil {
		return fmt.Errorf("claim %s on %s for request %s: %w", parameter, mine.Target, mine.Request, err)
	}
	return nil
}

// nextLevelClaim returns the claim to store when mine's request takes the
// level whose stored claim is stored, or nil, and whether to write it. It
// returns a Conflict as conflict when another request holds the level.
func nextLevelClaim(ctx context.Context, conn snowflake.Conn, stored *workflow.LevelClaim, mine workflow.LevelClaim) (next *workflow.LevelClaim, write bool, conflict, err error) {
	if stored == nil {
		return &mine, true, nil, nil
	}
	if stored.Request == mine.Request {
		// A claim marked set whose level a person has since changed is
		// unmarked, because this run is about to set the level again, and
		// another request may take over only a set level.
		if stored.Repository == mine.Repository && stored.Level == mine.Level && stored.Set == mine.Set {
			return nil, false, nil, nil
		}
		return &mine, true, nil, nil
	}
	if !stored.Set {
		return nil, false, levelConflict(*stored, "is setting it"), nil
	}
	// Read the value after the claim, so that an owner that marked the
	// claim set has already run its ALTER.
	value, err := RecordedValue(ctx, conn, claimSetting(*stored))
	if err != nil {
		return nil, false, nil, err
	}
	if value != "" && SameRepository(value, stored.Repository) {
		return nil, false, levelConflict(*stored, "set it"), nil
	}
	return &mine, true, nil, nil
}

// MarkLevelSet records in req's claim on target that its run has set the
// parameter there, so that another request may take the level over once a
// person changes it. It changes nothing when req does not have the claim.
func MarkLevelSet(ctx context.Context, registry workflow.DefaultRegistry, req request.Request, target string) error {
	if registry == nil {
		return nil
	}
	key := workflow.LevelClaimKey(req.Snowflake.Account, target)
	err := registry.UpdateClaim(ctx, key, func(stored *workflow.LevelClaim) (*workflow.LevelClaim, bool, error) {
		if stored == nil || stored.Request != req.ID || stored.Set {
			return nil, false, nil
		}
		next := *stored
		next.Set = true
		return &next, true, nil
	})
	if err != nil {
		return fmt.Errorf("mark the claim of request %s on %s as set: %w", req.ID, target, err)
	}
	return nil
}

// ReleaseLevel deletes the claim on target when req has it, under
// LevelClaimKey and under the LegacyLevelClaimKey of a claim taken before.
// It leaves a claim of another request as it is.
func ReleaseLevel(ctx context.Context, registry workflow.DefaultRegistry, req request.Request, target string) error {
	if registry == nil {
		return nil
	}
	keys := []string{workflow.LevelClaimKey(req.Snowflake.Account, target)}
	if legacy := workflow.LegacyLevelClaimKey(req.Snowflake.Account, target); legacy != keys[0] {
		keys = append(keys, legacy)
	}
	for _, key := range keys {
		err := registry.UpdateClaim(ctx, key, func(stored *workflow.LevelClaim) (*workflow.LevelClaim, bool, error) {
			return nil, stored != nil && stored.Request == req.ID, nil
		})
		if err != nil {
			return fmt.Errorf("release the claim of request %s on %s: %w", req.ID, target, err)
		}
	}
	return nil
}

// ReleaseOtherLevels releases req's claims on the levels of its current
// database and schema other than keep, which may be "" to release all
// three. These claims may have no record, because a run that stopped
// between taking a claim and recording its level leaves the claim without
// one.
//
// NOTE: a claim without a record on a database or schema that the request
// no longer names stays until a person deletes it from the records store.
func ReleaseOtherLevels(ctx context.Context, registry workflow.DefaultRegistry, req request.Request, keep string) error {
	for _, level := range levels {
		if level == keep {
			continue
		}
		target, err := Target(req.Snowflake, level)
		if err != nil {
			return err
		}
		if err := ReleaseLevel(ctx, registry, req, target); err != nil {
			return err
		}
	}
	return nil
}

// levelConflict returns the Conflict error for a level whose claim c belongs
// to another request. action is what that request's run did, such as
// "set it".
func levelConflict(c workflow.LevelClaim, action string) error {
	return workflow.Errorf(workflow.ErrConflict,
		"%s on %s is claimed by request %s, whose run %s to %s. "+
			"Two requests cannot share one default level, so tear down request %s first, "+
			"or set $.repository.default_for to another level or to none",
		parameter, c.Target, c.Request, action, c.Repository, c.Request)
}

// claimSetting returns c as a record, for reading the value on its target.
func claimSetting(c workflow.LevelClaim) workflow.DefaultSetting {
	return workflow.DefaultSetting{
		Account: c.Account, Request: c.Request, Level: c.Level, Target: c.Target, Repository: c.Repository,
	}
}
