// Package repository creates the ARTIFACT REPOSITORY that ties the index URL,
// the API integration and the secret together.
package repository

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the repository's fully qualified name and what the step did.
type Output = workflow.Result

// Run creates the repository with TYPE = PYPI. A repository created for
// this request is brought in line: replaced when its TYPE or
// API_INTEGRATION differs, and otherwise given the request's INDEX_URL
// again, because Snowflake does not show it. Any other existing repository
// is adopted when its TYPE and API_INTEGRATION match, and is a Conflict
// otherwise. A repository created for another request is a Conflict, also
// when it appears between the lookup and CREATE ARTIFACT REPOSITORY IF NOT
// EXISTS.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	sf := req.Snowflake
	names := workflow.NamesFor(req)
	qualified := sfobject.Qualified(sf, names.Repository)
	secret := sfobject.Qualified(sf, names.Secret)
	conn, err := env.Snowflake(ctx, sf)
	if err != nil {
		return Output{}, err
	}
	existing, err := sfobject.Find(ctx, conn, "ARTIFACT REPOSITORIES", names.Repository, sfobject.InSchema(sf))
	if err != nil {
		return Output{}, err
	}
	if existing == nil {
		if err := workflow.RecordLocation(ctx, env, req); err != nil {
			return Output{}, err
		}
		stmt := snowflake.CreateArtifactRepository(sf.Database, sf.Schema, names.Repository, names.Integration,
			req.Repository.IndexURL, secret)
		if err := conn.Exec(ctx, sfobject.WithOwner(stmt, req.ID)); err != nil {
			return Output{}, fmt.Errorf("create artifact repository %s: %w", qualified, err)
		}
		existing, err = sfobject.FindCreated(ctx, conn, "ARTIFACT REPOSITORIES", names.Repository, sfobject.InSchema(sf))
		if err != nil {
			return Output{}, err
		}
		if sfobject.Owner(existing) == req.ID {
			return Output{Action: workflow.Created, ID: qualified}, nil
		}
		// The statement did nothing, because another request or a person
		// created the repository after the lookup. It is checked below
		// like any repository that existed before.
	}

	if err := sfobject.CheckOwner("artifact repository", qualified, existing, req.ID); err != nil {
		return Output{}, err
	}
	drifts := sfobject.RepositoryDrift(existing, names.Integration)
	if sfobject.Owner(existing) != req.ID {
		if len(drifts) > 0 {
			return Output{}, sfobject.DriftConflict("artifact repository", qualified, drifts)
		}
		return Output{Action: workflow.Adopted, ID: qualified}, nil
	}

	stmt := snowflake.AlterArtifactRepositoryIndexURL(sf.Database, sf.Schema, names.Repository, req.Repository.IndexURL)
	if len(drifts) > 0 {
		if err := workflow.RecordLocation(ctx, env, req); err != nil {
			return Output{}, err
		}
		stmt = sfobject.WithOwner(snowflake.ReplaceArtifactRepository(sf.Database, sf.Schema, names.Repository,
			names.Integration, req.Repository.IndexURL, secret), req.ID)
	}
	if err := conn.Exec(ctx, stmt); err != nil {
		return Output{}, fmt.Errorf("update artifact repository %s: %w", qualified, err)
	}
	return Output{Action: workflow.Updated, ID: qualified}, nil
}
