package plan

import (
	"context"

	"github.com/repolink/repolink/functions/preflight"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// itemChecks are the preflight checks whose findings other items of the
// plan already show, each with the lookups of its own step, so that
// preflightItems leaves them out.
var itemChecks = map[string]bool{
	"object_names":       true,
	"grant_roles":        true,
	"default_level":      true,
	"availability_zones": true,
	"endpoint_capacity":  true,
}

// preflightItems runs the read-only checks of the preflight step that no
// other item shows, such as EC2's check of aws.instance_type, and returns
// a Conflict item, with InvalidRequest set, for each one that rejects the
// request. A check that fails for another reason, such as a failed login,
// gets no item, because the lookups of the other items fail the same way
// and show it as Unknown. Passed checks get no item either.
func (p *planner) preflightItems(ctx context.Context) []Item {
	env := *p.env
	env.Snowflake = func(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error) {
		conn, err := p.env.Snowflake(ctx, sf)
		if err != nil {
			return nil, loginError{err}
		}
		return conn, nil
	}
	var items []Item
	for _, check := range preflight.RequestChecks(p.req) {
		if itemChecks[check.Name] {
			continue
		}
		_, err := check.Run(ctx, &env, p.req)
		if workflow.NameOf(err) != workflow.ErrInvalidRequest {
			continue
		}
		items = append(items, Item{Step: "preflight", Kind: "check", Name: check.Name, State: Conflict,
			Detail: "the run will stop in preflight, because " + err.Error(), InvalidRequest: true})
	}
	return items
}

// loginError is a failed Snowflake login during a preflight check. It
// hides the error name of the login failure, such as the InvalidRequest
// of an unset private_key_ref, so that the check gets no item: the
// Snowflake items of the plan show the failed login as Unknown.
type loginError struct{ err error }

func (e loginError) Error() string { return "log in to Snowflake: " + e.err.Error() }
