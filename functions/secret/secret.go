// Package secret creates the Snowflake SECRET that holds the index
// credentials. It and preflight are the steps that read the repository
// credential.
package secret

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the secret's fully qualified name and what the step did.
type Output = workflow.Result

// Run resolves the credential reference and creates the secret:
// TYPE = PASSWORD for password auth, where Snowflake sends
// USERNAME:PASSWORD as basic auth, or TYPE = GENERIC_STRING for token auth.
// When this request's secret exists, it sets the credential again, so that
// a rotated credential takes effect. A secret made by hand is adopted as it
// is.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	sf := req.Snowflake
	names := workflow.NamesFor(req)
	qualified := sfobject.Qualified(sf, names.Secret)
	conn, err := env.Snowflake(ctx, sf)
	if err != nil {
		return Output{}, err
	}

	existing, err := sfobject.Find(ctx, conn, "SECRETS", names.Secret, sfobject.InSchema(sf))
	if err != nil {
		return Output{}, err
	}
	if existing != nil {
		if err := sfobject.CheckOwner("secret", qualified, existing, req.ID); err != nil {
			return Output{}, err
		}
		if sfobject.Owner(existing) != req.ID {
			// A secret made by hand keeps its credential, which is not
			// repolink's to change.
			return Output{Action: workflow.Adopted, ID: qualified}, nil
		}
	}

	create := existing == nil
	var stmt string
	switch req.Repository.Auth.Type {
	case "token":
		token, err := env.Secrets.Resolve(ctx, req.Repository.Auth.TokenRef)
		if err != nil {
			return Output{}, credentialError("repository.auth.token_ref", err)
		}
		stmt = snowflake.AlterSecretGeneric(sf.Database, sf.Schema, names.Secret, token)
		if create {
			stmt = snowflake.CreateSecretGeneric(sf.Database, sf.Schema, names.Secret, token)
		}
	default:
		password, err := env.Secrets.Resolve(ctx, req.Repository.Auth.PasswordRef)
		if err != nil {
			return Output{}, credentialError("repository.auth.password_ref", err)
		}
		username := req.Repository.Auth.Username
		stmt = snowflake.AlterSecretPassword(sf.Database, sf.Schema, names.Secret, username, password)
		if create {
			stmt = snowflake.CreateSecretPassword(sf.Database, sf.Schema, names.Secret, username, password)
		}
	}
	if !create {
		// Snowflake does not show a secret's value, so the credential is
		// set again. A rotated credential reaches the secret this way, and
		// an unchanged one changes nothing.
		if err := conn.Exec(ctx, stmt); err != nil {
			return Output{}, fmt.Errorf("set the credential of secret %s: %w", qualified, err)
		}
		return Output{Action: workflow.Updated, ID: qualified}, nil
	}
	if err := conn.Exec(ctx, sfobject.WithOwner(stmt, req.ID)); err != nil {
		// The statement holds the credential, so only the object is named.
		return Output{}, fmt.Errorf("create secret %s: %w", qualified, err)
	}
	return Output{Action: workflow.Created, ID: qualified}, nil
}

// credentialError keeps a throttled or transient secret store failure
// retryable and reports anything else as a reference to fix.
func credentialError(field string, err error) error {
	switch workflow.NameOf(err) {
	case workflow.ErrThrottled, workflow.ErrTransient:
		return fmt.Errorf("read %s: %w", field, err)
	}
	return workflow.Invalid("read %s: %v", field, err)
}
