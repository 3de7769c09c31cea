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

// Run adopts the secret when it exists and otherwise resolves the credential
// reference and creates it: TYPE = PASSWORD for password auth, where
// Snowflake sends USERNAME:PASSWORD as basic auth, or TYPE = GENERIC_STRING
// for token auth.
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
		return Output{Action: workflow.Adopted, ID: qualified}, nil
	}

	var stmt string
	switch req.Repository.Auth.Type {
	case "token":
		token, err := env.Secrets.Resolve(ctx, req.Repository.Auth.TokenRef)
		if err != nil {
			return Output{}, credentialError("repository.auth.token_ref", err)
		}
		stmt = snowflake.CreateSecretGeneric(sf.Database, sf.Schema, names.Secret, token)
	default:
		password, err := env.Secrets.Resolve(ctx, req.Repository.Auth.PasswordRef)
		if err != nil {
			return Output{}, credentialError("repository.auth.password_ref", err)
		}
		stmt = snowflake.CreateSecretPassword(sf.Database, sf.Schema, names.Secret, req.Repository.Auth.Username, password)
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
