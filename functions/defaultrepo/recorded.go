package defaultrepo

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Recorded returns the records of registry for req's Snowflake account and
// request, or nil for a nil registry. They include the levels of a
// database or schema that the request named before it changed them, so
// that the default step and teardown unset those too. A record whose
// target does not match its level, database and schema is skipped, so that
// no statement runs on a target that a changed record names.
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
		if !request.SameAccount(d.Account, req.Snowflake.Account) || d.Request != req.ID {
			continue
		}
		if target, err := recordTarget(d); err != nil || target != d.Target {
			continue
		}
		recorded = append(recorded, d)
	}
	return recorded, nil
}

// recordTarget returns the object that d's level, database and schema
// name, as Target renders it.
func recordTarget(d workflow.DefaultSetting) (string, error) {
	return Target(request.Snowflake{Database: d.Database, Schema: d.Schema}, d.Level)
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

// Replaced returns the value that target, the object of level, sets itself
// when it names a repository other than repo and no recorded run of req set
// that value there, so a person or another tool most likely did. It
// returns "" when target sets no value, names repo, or no longer exists.
// The default step replaces such a value, because default_for requests
// it, but it reports the value. Replaced only runs SHOW PARAMETERS and
// reads the registry, so plan uses it too.
func Replaced(ctx context.Context, registry workflow.DefaultRegistry, conn snowflake.Conn, req request.Request, level, target, repo string) (string, error) {
	value, err := ownValue(ctx, conn, target, level)
	if snowflake.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if value == "" || SameRepository(value, repo) {
		return "", nil
	}

	recorded, err := Recorded(ctx, registry, req)
	if err != nil {
		return "", err
	}
	for _, d := range recorded {
		if d.Target == target && SameRepository(value, d.Repository) {
			return "", nil
		}
	}
	return value, nil
}
