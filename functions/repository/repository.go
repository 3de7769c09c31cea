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

// Run adopts the repository when it exists and otherwise creates it with
// TYPE = PYPI.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	sf := req.Snowflake
	names := workflow.NamesFor(req)
	qualified := sfobject.Qualified(sf, names.Repository)
	conn, err := env.Snowflake(ctx, sf)
	if err != nil {
		return Output{}, err
	}
	existing, err := sfobject.Find(ctx, conn, "ARTIFACT REPOSITORIES", names.Repository, sfobject.InSchema(sf))
	if err != nil {
		return Output{}, err
	}
	if existing != nil {
		if err := sfobject.CheckOwner("artifact repository", qualified, existing, req.ID); err != nil {
			return Output{}, err
		}
		// NOTE: the repository is adopted without comparing its INDEX_URL
		// with the request, because SHOW ARTIFACT REPOSITORIES does not
		// list it.
		return Output{Action: workflow.Adopted, ID: qualified}, nil
	}
	stmt := snowflake.CreateArtifactRepository(sf.Database, sf.Schema, names.Repository, names.Integration,
		req.Repository.IndexURL, sfobject.Qualified(sf, names.Secret))
	if err := conn.Exec(ctx, sfobject.WithOwner(stmt, req.ID)); err != nil {
		return Output{}, fmt.Errorf("create artifact repository %s: %w", qualified, err)
	}
	return Output{Action: workflow.Created, ID: qualified}, nil
}
