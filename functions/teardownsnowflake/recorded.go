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
// that it unset.
func unsetRecordedDefaults(ctx context.Context, env *workflow.Env, conn snowflake.Conn, req request.Request) (int, []Kept, error) {
	recorded, err := defaultrepo.Recorded(ctx, env.Defaults, req)
	if err != nil {
		return 0, nil, err
	}
	unset := 0
	var kept []Kept
	for _, d := range recorded {
		value, err := defaultrepo.RecordedValue(ctx, conn, d)
		if err != nil {
			return unset, kept, err
		}
		switch {
		case value == "":
		case defaultrepo.SameRepository(value, d.Repository):
			if err := defaultrepo.UnsetRecorded(ctx, conn, d); err != nil {
				return unset, kept, err
			}
			unset++
			if env.Logger != nil {
				env.Logger.Info("recorded default repository parameter unset", "target", d.Target, "repository", d.Repository, "request", req.ID)
			}
		default:
			reason := "a run set it to " + d.Repository + ", but it names " + value + " now"
			if env.Logger != nil {
				env.Logger.Info("default repository parameter kept", "target", d.Target, "request", req.ID, "reason", reason)
			}
			kept = append(kept, Kept{Type: snowflake.DefaultRepositoryParameter, Name: d.Target, Reason: reason})
		}
		if err := env.Defaults.Delete(ctx, d.Key()); err != nil {
			return unset, kept, fmt.Errorf("delete the record of the %s that a run set on %s: %w", snowflake.DefaultRepositoryParameter, d.Target, err)
		}
	}
	return unset, kept, nil
}
