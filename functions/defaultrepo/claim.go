package defaultrepo

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Claim returns the record of another request's run that set the parameter
// on target, the object of level, while target still names that request's
// repository. It returns nil when no such record exists or registry is nil.
// The default step must not take such a level over, because the other
// request would lose its default unreported, and its teardown would later
// unset this request's default. Claim only runs SHOW PARAMETERS and reads
// the registry, so plan and preflight use it too.
func Claim(ctx context.Context, registry workflow.DefaultRegistry, conn snowflake.Conn, req request.Request, level, target string) (*workflow.DefaultSetting, error) {
	if registry == nil {
		return nil, nil
	}
	all, err := registry.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the default repository levels that runs set: %w", err)
	}
	value := ""
	read := false
	for _, d := range all {
		if d.Request == req.ID || d.Target != target || d.Level != level || !request.SameAccount(d.Account, req.Snowflake.Account) {
			continue
		}
		if !read {
			if value, err = RecordedValue(ctx, conn, d); err != nil {
				return nil, err
			}
			read = true
		}
		if value != "" && SameRepository(value, d.Repository) {
			return &d, nil
		}
	}
	return nil, nil
}

// ClaimConflict returns the Conflict error for a request whose
// repository.default_for names the level of d, the record that Claim found.
func ClaimConflict(d workflow.DefaultSetting) error {
	return workflow.Errorf(workflow.ErrConflict,
		"%s on %s names %s, which a run of request %s set. "+
			"Two requests cannot share one default level, so tear down request %s first, "+
			"or set $.repository.default_for to another level or to none",
		parameter, d.Target, d.Repository, d.Request, d.Request)
}

// CheckClaim fails with ClaimConflict when Claim finds a record for the
// level that req's repository.default_for names. It returns nil for
// default_for none.
func CheckClaim(ctx context.Context, registry workflow.DefaultRegistry, conn snowflake.Conn, req request.Request) error {
	level := req.Repository.DefaultFor
	if level == "" || level == "none" {
		return nil
	}
	target, err := Target(req.Snowflake, level)
	if err != nil {
		return err
	}
	claim, err := Claim(ctx, registry, conn, req, level, target)
	if err != nil {
		return err
	}
	if claim != nil {
		return ClaimConflict(*claim)
	}
	return nil
}
