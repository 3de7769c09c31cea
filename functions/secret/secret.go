// Package secret creates the Snowflake SECRET that holds the index
// credentials. It, preflight and the poller's renewal are the code that
// reads or gets the repository credential.
package secret

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/preflight"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the secret's fully qualified name, what the step did, and when
// the credential expires.
type Output = workflow.Secret

// Run resolves the credential reference and creates the secret:
// TYPE = PASSWORD for password auth, where Snowflake sends
// USERNAME:PASSWORD as basic auth, or TYPE = GENERIC_STRING for token auth.
// For auth type codeartifact it gets a CodeArtifact token and creates a
// PASSWORD secret with the user aws. When this request's secret exists, it
// sets the credential again, so that a rotated credential takes effect. A
// secret made by hand is adopted as it is, and one created for another
// request is a Conflict, also when it appears between the lookup and
// CREATE SECRET IF NOT EXISTS. The expiry of a short-lived
// credential is recorded in env.Credentials for the poller.
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
		handMade, err := checkOwner(existing, qualified, req.ID)
		if err != nil {
			return Output{}, err
		}
		if handMade {
			return Output{Result: workflow.Result{Action: workflow.Adopted, ID: qualified}}, nil
		}
		if err := checkType(existing, qualified, req.Repository.Auth.Type); err != nil {
			return Output{}, err
		}
	}

	create := existing == nil
	issuedAt := env.Now()
	var stmt string
	var expiry *workflow.CredentialExpiry
	switch req.Repository.Auth.Type {
	case request.AuthCodeArtifact:
		token, err := env.CodeArtifactToken(ctx, req)
		if err != nil {
			return Output{}, err
		}
		stmt = snowflake.AlterSecretPassword(sf.Database, sf.Schema, names.Secret, request.CodeArtifactUser, token.Value)
		if create {
			stmt = snowflake.CreateSecretPassword(sf.Database, sf.Schema, names.Secret, request.CodeArtifactUser, token.Value)
		}
		expiry = &workflow.CredentialExpiry{Renewable: true, IssuedAt: issuedAt, ExpiresAt: token.ExpiresAt}
	case "token":
		token, err := env.Secrets.Resolve(ctx, req.Repository.Auth.TokenRef)
		if err != nil {
			return Output{}, credentialError("$.repository.auth.token_ref", err)
		}
		stmt = snowflake.AlterSecretGeneric(sf.Database, sf.Schema, names.Secret, token)
		if create {
			stmt = snowflake.CreateSecretGeneric(sf.Database, sf.Schema, names.Secret, token)
		}
		// A generic string that the index reads as basic auth is user:token.
		user, _, _ := strings.Cut(token, ":")
		expiry = estimatedExpiry(req, user, issuedAt)
	default:
		password, err := env.Secrets.Resolve(ctx, req.Repository.Auth.PasswordRef)
		if err != nil {
			return Output{}, credentialError("$.repository.auth.password_ref", err)
		}
		username := req.Repository.Auth.Username
		stmt = snowflake.AlterSecretPassword(sf.Database, sf.Schema, names.Secret, username, password)
		if create {
			stmt = snowflake.CreateSecretPassword(sf.Database, sf.Schema, names.Secret, username, password)
		}
		expiry = estimatedExpiry(req, username, issuedAt)
	}

	// No credential is set while a poller renews the token in the secret,
	// because the renewal would overwrite it. A credential that repolink
	// does not renew also stops the renewal of the secret's token first.
	// A new secret is this request's only once its owner is read after the
	// create, so that another request's renewal is not stopped in its
	// place.
	renewable := expiry != nil && expiry.Renewable
	key := workflow.CredentialKey(sf.Account, qualified)
	seen, err := awaitRenewal(ctx, env, key)
	if err != nil {
		return Output{}, err
	}
	out := Output{Result: workflow.Result{Action: workflow.Updated, ID: qualified}}
	if !create {
		if !renewable {
			if err := stopRenewal(ctx, env, key); err != nil {
				return Output{}, err
			}
		}
		// Snowflake does not show a secret's value, so the credential is
		// set again. A rotated credential reaches the secret this way, and
		// an unchanged one changes nothing.
		if err := conn.Exec(ctx, stmt); err != nil {
			return Output{}, fmt.Errorf("set the credential of secret %s: %w", qualified, err)
		}
	} else {
		if err := workflow.RecordLocation(ctx, env, req); err != nil {
			return Output{}, err
		}
		if err := conn.Exec(ctx, sfobject.WithOwner(stmt, req.ID)); err != nil {
			// The statement holds the credential, so only the object is named.
			return Output{}, fmt.Errorf("create secret %s: %w", qualified, err)
		}
		// CREATE SECRET IF NOT EXISTS does nothing when another request or
		// a person created the secret after the lookup, so the owner is
		// read again.
		created, err := sfobject.FindCreated(ctx, conn, "SECRETS", names.Secret, sfobject.InSchema(sf))
		if err != nil {
			return Output{}, err
		}
		handMade, err := checkOwner(created, qualified, req.ID)
		if err != nil {
			return Output{}, err
		}
		if handMade {
			return Output{Result: workflow.Result{Action: workflow.Adopted, ID: qualified}}, nil
		}
		// NOTE: a claim that a poller takes after awaitRenewal, on a secret
		// that it found before the lookup above, makes this step return
		// NotReady after the create, and the retry then reports updated.
		if !renewable {
			if err := stopRenewal(ctx, env, key); err != nil {
				return Output{}, err
			}
		}
		out.Action = workflow.Created
	}
	if expiry == nil {
		// A record left from an earlier run, such as one of auth type
		// codeartifact, would make the poller replace this credential.
		if err := forgetExpiry(ctx, env, key); err != nil {
			return Output{}, err
		}
		return out, nil
	}
	expiry.Secret, expiry.Execution, expiry.Request = qualified, in.Execution, req
	out.CredentialExpiresAt = &expiry.ExpiresAt
	if renewable {
		err = storeRenewable(ctx, env, *expiry, seen)
	} else {
		err = recordExpiry(ctx, env, *expiry)
	}
	if err != nil {
		return Output{}, err
	}
	return out, nil
}

// checkOwner returns a Conflict when row, the SHOW row of the secret
// qualified, names a request other than requestID. It reports whether the
// row names no request, so that the secret was made by hand and keeps its
// credential, which is not repolink's to change.
func checkOwner(row snowflake.Row, qualified, requestID string) (handMade bool, err error) {
	if err := sfobject.CheckOwner("secret", qualified, row, requestID); err != nil {
		return false, err
	}
	return sfobject.Owner(row) == "", nil
}

// checkType returns an InvalidRequest error when row, the SHOW SECRETS row
// of this request's secret qualified, has another TYPE than authType
// creates. ALTER SECRET sets only the properties of the secret's own TYPE,
// so the step would otherwise fail on the statement that sets the
// credential. A row without secret_type is taken to match.
func checkType(row snowflake.Row, qualified, authType string) error {
	got, want := row["secret_type"], request.SecretType(authType)
	if got == "" || strings.EqualFold(got, want) {
		return nil
	}
	return workflow.Invalid("secret %s has TYPE = %s, but $.repository.auth.type %s needs TYPE = %s, which ALTER SECRET cannot set; "+
		"tear down the request first, or set $.repository.auth.type back", qualified, got, authType, want)
}

// estimatedExpiry returns the expiry record of a stored credential that is
// a known short-lived token, assuming the longest lifetime of its kind, or
// nil for any other credential.
func estimatedExpiry(req request.Request, user string, issuedAt time.Time) *workflow.CredentialExpiry {
	u, err := url.Parse(req.Repository.IndexURL)
	if err != nil {
		return nil
	}
	lifetime, ok := preflight.ShortLivedLifetime(u.Hostname(), user)
	if !ok {
		return nil
	}
	return &workflow.CredentialExpiry{IssuedAt: issuedAt, ExpiresAt: issuedAt.Add(lifetime)}
}

// recordExpiry stores the record for the poller. For a credential that
// repolink renews, a failure fails the step, because without the record
// the token expires unrenewed, and registryError decides whether it is
// retried. For any other credential a failure is only logged, because the
// secret works and only the expiry warning is lost.
func recordExpiry(ctx context.Context, env *workflow.Env, expiry workflow.CredentialExpiry) error {
	log := env.Logger
	if env.Credentials == nil {
		if log != nil && expiry.Renewable {
			log.Warn("this deployment does not renew CodeArtifact tokens; the secret stops working when the token expires",
				"secret", expiry.Secret, "execution", expiry.Execution, "expires_at", expiry.ExpiresAt.UTC().Format(time.RFC3339))
		}
		return nil
	}
	err := env.Credentials.Put(ctx, expiry)
	if err == nil {
		return nil
	}
	if expiry.Renewable {
		return registryError(err, "record the CodeArtifact token expiry of secret %s for renewal", expiry.Secret)
	}
	if log != nil {
		log.Warn("record credential expiry failed", "secret", expiry.Secret, "execution", expiry.Execution, "error", err)
	}
	return nil
}

// forgetExpiry deletes the expiry record of a secret whose credential has
// no known expiry. A failure fails the step, because a renewable record
// left behind would make the poller overwrite the new credential, and
// registryError decides whether it is retried.
func forgetExpiry(ctx context.Context, env *workflow.Env, key string) error {
	if env.Credentials == nil {
		return nil
	}
	if err := env.Credentials.Delete(ctx, key); err != nil {
		return registryError(err, "delete the old credential expiry record %s", key)
	}
	return nil
}

// ErrSecretGone is the error of Renew for a record whose secret no longer
// exists or is no longer the request's, so the record can be dropped.
var ErrSecretGone = errors.New("secret not found or not created for the request")

// Renew gets a new CodeArtifact token for a renewable record, sets it in the
// record's SECRET with ALTER SECRET, and stores and returns the record with
// the new expiry. Running it again only replaces the token again. It
// renews only when the stored record matches expiry apart from WarnedAt
// and RenewingUntil, and returns ErrRecordChanged otherwise.
func Renew(ctx context.Context, env *workflow.Env, expiry workflow.CredentialExpiry) (workflow.CredentialExpiry, error) {
	req := expiry.Request
	sf := req.Snowflake
	names := workflow.NamesFor(req)
	qualified := sfobject.Qualified(sf, names.Secret)
	if !expiry.Renewable || req.Repository.Auth.Type != request.AuthCodeArtifact {
		return expiry, fmt.Errorf("renew secret %s: the credential is not a token that repolink gets", qualified)
	}
	conn, err := env.Snowflake(ctx, sf)
	if err != nil {
		return expiry, err
	}
	existing, err := sfobject.Find(ctx, conn, "SECRETS", names.Secret, sfobject.InSchema(sf))
	if snowflake.IsNotExist(err) {
		return expiry, fmt.Errorf("renew secret %s: %w", qualified, ErrSecretGone)
	}
	if err != nil {
		return expiry, err
	}
	if existing == nil || sfobject.Owner(existing) != req.ID {
		return expiry, fmt.Errorf("renew secret %s: %w", qualified, ErrSecretGone)
	}

	until, err := claimRenewal(ctx, env, expiry)
	if err != nil {
		return expiry, fmt.Errorf("renew secret %s: %w", qualified, err)
	}
	if !until.IsZero() {
		// The claim keeps runs from setting another credential only until
		// it lapses, so the token must be set before then. The time left
		// is counted on env's clock, which tests replace.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, until.Sub(env.Now()))
		defer cancel()
	}

	issuedAt := env.Now()
	token, err := env.CodeArtifactToken(ctx, req)
	if err == nil {
		if afterRenewalClaim != nil {
			afterRenewalClaim()
		}
		stmt := snowflake.AlterSecretPassword(sf.Database, sf.Schema, names.Secret, request.CodeArtifactUser, token.Value)
		if err = conn.Exec(ctx, stmt); err != nil {
			err = fmt.Errorf("set the new CodeArtifact token in secret %s: %w", qualified, err)
		}
	}
	if err != nil {
		releaseRenewal(context.WithoutCancel(ctx), env, expiry.Key(), until)
		return expiry, err
	}
	expiry.IssuedAt, expiry.ExpiresAt, expiry.WarnedAt = issuedAt, token.ExpiresAt, time.Time{}
	if err := finishRenewal(context.WithoutCancel(ctx), env, expiry, until); err != nil {
		return expiry, fmt.Errorf("renew secret %s: %w", qualified, err)
	}
	return expiry, nil
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
