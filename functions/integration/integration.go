// Package integration creates the API INTEGRATION that lets Snowflake reach
// the index host with the repository secret.
package integration

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the integration's name and what the step did.
type Output = workflow.Result

// Run creates the integration with API_PROVIDER = ARTIFACT_REPOSITORY_API,
// the index origin and any extra prefixes in API_ALLOWED_PREFIXES, the
// secret in ALLOWED_AUTHENTICATION_SECRETS, and USE_PRIVATELINK_ENDPOINT =
// TRUE on the private-link routes. An existing integration with these
// settings is adopted. One created for this request that differs is
// brought in line, and any other that differs is a Conflict. One created
// for another request is a Conflict, also when it appears between the
// lookup and CREATE API INTEGRATION IF NOT EXISTS.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	names := workflow.NamesFor(req)
	id := snowflake.StoredName(names.Integration)
	spec, err := sfobject.ExpectedIntegration(req)
	if err != nil {
		return Output{}, err
	}
	conn, err := env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		return Output{}, err
	}
	existing, err := sfobject.Find(ctx, conn, "API INTEGRATIONS", names.Integration, "")
	if err != nil {
		return Output{}, err
	}
	if existing == nil {
		stmt := snowflake.CreateAPIIntegration(names.Integration, spec.Prefixes, spec.Secrets, spec.PrivateLink)
		if err := conn.Exec(ctx, sfobject.WithOwner(stmt, req.ID)); err != nil {
			return Output{}, fmt.Errorf("create API integration %s: %w", id, err)
		}
		existing, err = sfobject.FindCreated(ctx, conn, "API INTEGRATIONS", names.Integration, "")
		if err != nil {
			return Output{}, err
		}
		if sfobject.Owner(existing) == req.ID {
			return Output{Action: workflow.Created, ID: id}, nil
		}
		// The statement did nothing, because another request or a person
		// created the integration after the lookup. It is checked below
		// like any integration that existed before.
	}

	if err := sfobject.CheckOwner("API integration", id, existing, req.ID); err != nil {
		return Output{}, err
	}
	drifts, err := sfobject.IntegrationDrift(ctx, conn, names.Integration, spec)
	if err != nil {
		return Output{}, err
	}
	if len(drifts) == 0 {
		return Output{Action: workflow.Adopted, ID: id}, nil
	}
	if sfobject.Owner(existing) != req.ID {
		return Output{}, sfobject.DriftConflict("API integration", id, drifts)
	}
	stmt := snowflake.AlterAPIIntegration(names.Integration, spec.Prefixes, spec.Secrets)
	if sfobject.NeedsReplace(drifts) {
		stmt = sfobject.WithOwner(snowflake.ReplaceAPIIntegration(names.Integration, spec.Prefixes, spec.Secrets, spec.PrivateLink), req.ID)
	}
	if err := conn.Exec(ctx, stmt); err != nil {
		return Output{}, fmt.Errorf("update API integration %s: %w", id, err)
	}
	return Output{Action: workflow.Updated, ID: id}, nil
}
