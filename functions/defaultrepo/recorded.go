package defaultrepo

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Recorded returns the records of registry for req's Snowflake account and
// request whose targets are in req's database and schema, or nil for a nil
// registry.
//
// NOTE: a record of another database or schema, from before the request
// changed them, is not returned, so its default stays set.
func Recorded(ctx context.Context, registry workflow.DefaultRegistry, req request.Request) ([]workflow.DefaultSetting, error) {
	if registry == nil {
		return nil, nil
	}
	all, err := registry.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the default repository levels that runs of request %s set: %w", req.ID, err)
	}
	var recorded []workflow.DefaultSetting
	for _, d := range all {
		if !strings.EqualFold(d.Account, req.Snowflake.Account) || d.Request != req.ID {
			continue
		}
		if target, err := Target(req.Snowflake, d.Level); err != nil || target != d.Target {
			continue
		}
		recorded = append(recorded, d)
	}
	return recorded, nil
}

// RecordedValue returns the value of the parameter that the target of d
// sets itself, or "" when it sets none or its database or schema no longer
// exists. It only runs SHOW PARAMETERS.
func RecordedValue(ctx context.Context, conn snowflake.Conn, d workflow.DefaultSetting) (string, error) {
	value, err := ownValue(ctx, conn, d.Target, d.Level)
	if snowflake.IsNotExist(err) {
		return "", nil
	}
	return value, err
}

// UnsetRecorded unsets the parameter on the target of d.
func UnsetRecorded(ctx context.Context, conn snowflake.Conn, d workflow.DefaultSetting) error {
	stmt, err := snowflake.UnsetDefaultRepository(d.Level, d.Database, d.Schema)
	if err != nil {
		return err
	}
	if err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("unset %s on %s, which a run of request %s set: %w", parameter, d.Target, d.Request, err)
	}
	return nil
}
