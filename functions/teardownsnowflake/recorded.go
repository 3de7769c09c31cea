package teardownsnowflake

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/functions/defaultrepo"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// unsetRecordedDefaults unsets the default repository parameter on each
// level that env.Defaults records as set by a run of req, when the level
// still names the repository that the run set. It then deletes the record.
// This also applies to an adopted repository, whose other defaults stay,
// and to a database or schema that the request named before. A recorded
// level that names another repository now was changed by a person, so it
// stays and is returned in kept. The int result is the number of levels
// that it unset. A level whose run replaced a value that a person had set
// is left unset, not restored, and a note in notes names that value.
// It releases the request's claims on the recorded levels and on every
// level of the request's database and schema.
func unsetRecordedDefaults(ctx context.Context, env *workflow.Env, conn snowflake.Conn, req request.Request) (unset int, kept []Kept, notes []string, err error) {
	recorded, err := defaultrepo.Recorded(ctx, env.Defaults, req)
	if err != nil {
		return 0, nil, nil, err
	}
	for _, d := range recorded {
		value, err := defaultrepo.RecordedValue(ctx, conn, d)
		if err != nil {
			return unset, kept, notes, err
		}
		switch {
		case value == "":
		case defaultrepo.SameRepository(value, d.Repository):
			if err := defaultrepo.UnsetRecorded(ctx, conn, d); err != nil {
				return unset, kept, notes, err
			}
			unset++
			if env.Logger != nil {
				env.Logger.Info("recorded default repository parameter unset", "target", d.Target, "repository", d.Repository, "request", req.ID)
			}
			if d.Replaced != "" {
				notes = append(notes, ReplacedNote(d))
			}
		default:
			reason := "a run set it to " + d.Repository + ", but it names " + value + " now"
			if env.Logger != nil {
				env.Logger.Info("default repository parameter kept", "target", d.Target, "request", req.ID, "reason", reason)
			}
			kept = append(kept, Kept{Type: snowflake.DefaultRepositoryParameter, Name: d.Target, Reason: reason})
		}
		if err := env.Defaults.Delete(ctx, d.Key()); err != nil {
			return unset, kept, notes, fmt.Errorf("delete the record of the %s that a run set on %s: %w", snowflake.DefaultRepositoryParameter, d.Target, err)
		}
		if err := defaultrepo.ReleaseLevel(ctx, env.Defaults, req, d.Target); err != nil {
			return unset, kept, notes, err
		}
	}
	if err := defaultrepo.ReleaseOtherLevels(ctx, env.Defaults, req, ""); err != nil {
		return unset, kept, notes, err
	}
	return unset, kept, notes, nil
}

// ReplacedNote returns the note for the level of d, which teardown unset
// although a run of d's request had replaced another value there.
func ReplacedNote(d workflow.DefaultSetting) string {
	return "the default on " + d.Target + " was " + d.Replaced + " before a run of request " + d.Request +
		" replaced it; teardown left it unset, so set it again if it should stay the default"
}
