package secret

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// RenewalClaimTime is how long a poller's claim on a record keeps runs
// from setting another credential in its SECRET. It is longer than the
// time that the poller gives all its credential checks, 20 seconds, and
// the secret step retries NotReady for longer than this.
const RenewalClaimTime = time.Minute

// ErrNotRenewable is the error of Renew when the stored record of the
// secret is gone or no longer renewable. A later run then set a credential
// that repolink does not get, and the caller's copy of the record is stale.
var ErrNotRenewable = errors.New("the stored expiry record is gone or not renewable")

// ErrRecordChanged is the error of Renew when the stored record differs
// from the caller's copy in more than WarnedAt and RenewingUntil, because a
// run or another poller replaced it after the caller listed it. The caller
// checked the secret and the expiry of its copy, so it renews nothing, and
// the next poll checks the stored record. It matches ErrNotRenewable.
var ErrRecordChanged = fmt.Errorf("%w: it changed after it was listed", ErrNotRenewable)

// ErrRenewing is the error of Renew while another poller's claim on the
// record lasts.
var ErrRenewing = errors.New("another poller is renewing the token")

// errClaimLost is the error of finishRenewal when the record changed while
// the poller held its claim.
var errClaimLost = errors.New("the expiry record changed during the renewal")

// afterRenewalClaim, when set by a test, runs between the claim on the
// record and ALTER SECRET.
var afterRenewalClaim func()

// claimRenewal marks the stored record of expiry as being renewed until
// the time it returns, if it is still a renewable CodeArtifact record that
// no other poller claims and that has not changed since the caller read
// expiry. It returns ErrNotRenewable for a record that is gone or not
// renewable, ErrRenewing for a claimed one, and ErrRecordChanged for one
// that a run or another poller replaced. The
// record, which each run replaces or deletes, distinguishes a CodeArtifact
// token from a password that a user set, because no Snowflake output that
// repolink reads shows a SECRET's USERNAME. Without a registry it returns
// the zero time.
func claimRenewal(ctx context.Context, env *workflow.Env, expiry workflow.CredentialExpiry) (time.Time, error) {
	if env.Credentials == nil {
		return time.Time{}, nil
	}
	now := env.Now()
	until := now.Add(RenewalClaimTime)
	err := env.Credentials.Update(ctx, expiry.Key(), func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
		if stored == nil || !stored.Renewable || stored.Request.Repository.Auth.Type != request.AuthCodeArtifact {
			return nil, ErrNotRenewable
		}
		if stored.RenewingUntil.After(now) {
			return nil, fmt.Errorf("%w until %s", ErrRenewing, stored.RenewingUntil.UTC().Format(time.RFC3339))
		}
		if !SameRenewal(*stored, expiry) {
			return nil, ErrRecordChanged
		}
		claimed := *stored
		claimed.RenewingUntil = until
		return &claimed, nil
	})
	if err != nil && !errors.Is(err, ErrNotRenewable) && !errors.Is(err, ErrRenewing) {
		return time.Time{}, fmt.Errorf("claim the credential expiry record: %w", err)
	}
	return until, err
}

// finishRenewal stores the renewed record in place of the claim that ends
// at until. It returns errClaimLost when a run replaced or deleted the
// record meanwhile, which a run only does after the claim lapsed.
func finishRenewal(ctx context.Context, env *workflow.Env, renewed workflow.CredentialExpiry, until time.Time) error {
	if env.Credentials == nil {
		return nil
	}
	renewed.RenewingUntil = time.Time{}
	return env.Credentials.Update(ctx, renewed.Key(), func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
		if stored == nil || !stored.RenewingUntil.Equal(until) {
			return nil, errClaimLost
		}
		return &renewed, nil
	})
}

// releaseRenewal drops the claim that ends at until after a failed
// renewal, so that runs need not wait for it to lapse. A failure is only
// logged, because the claim lapses on its own.
func releaseRenewal(ctx context.Context, env *workflow.Env, key string, until time.Time) {
	if env.Credentials == nil || until.IsZero() {
		return
	}
	err := env.Credentials.Update(ctx, key, func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
		if stored == nil || !stored.RenewingUntil.Equal(until) {
			return stored, nil
		}
		released := *stored
		released.RenewingUntil = time.Time{}
		return &released, nil
	})
	if err != nil && env.Logger != nil {
		env.Logger.Warn("release renewal claim failed; it lapses on its own", "key", key, "until", until.UTC().Format(time.RFC3339), "error", err)
	}
}

// stopRenewal deletes the renewable record of key before a run sets a
// credential that repolink does not renew, so that no poller renews the
// token over it. While a poller's claim lasts it returns NotReady, so that
// the step waits for the renewal to end instead of being overwritten by
// it.
func stopRenewal(ctx context.Context, env *workflow.Env, key string) error {
	if env.Credentials == nil {
		return nil
	}
	now := env.Now()
	err := env.Credentials.Update(ctx, key, func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
		if stored == nil || !stored.Renewable {
			return stored, nil
		}
		if stored.RenewingUntil.After(now) {
			return nil, renewingError(*stored)
		}
		return nil, nil
	})
	if err != nil && workflow.NameOf(err) != workflow.ErrNotReady {
		return registryError(err, "delete the renewable credential expiry record %s", key)
	}
	return err
}

// SameRenewal reports whether a and b are the same record apart from
// WarnedAt and RenewingUntil, which only the poller changes.
func SameRenewal(a, b workflow.CredentialExpiry) bool {
	if !a.IssuedAt.Equal(b.IssuedAt) || !a.ExpiresAt.Equal(b.ExpiresAt) {
		return false
	}
	// Times are compared above, because equal instants can differ in
	// their location.
	for _, c := range []*workflow.CredentialExpiry{&a, &b} {
		c.IssuedAt, c.ExpiresAt, c.WarnedAt, c.RenewingUntil = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	}
	return reflect.DeepEqual(a, b)
}

// errReadOnly ends the Update of readExpiry without a write.
var errReadOnly = errors.New("read the record only")

// readExpiry returns the stored record of key, or nil when there is none.
// The registry has no read method, so it runs an Update whose change
// writes nothing.
func readExpiry(ctx context.Context, env *workflow.Env, key string) (*workflow.CredentialExpiry, error) {
	var read *workflow.CredentialExpiry
	err := env.Credentials.Update(ctx, key, func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
		read = stored
		return nil, errReadOnly
	})
	if !errors.Is(err, errReadOnly) {
		return nil, err
	}
	return read, nil
}

// awaitRenewal returns NotReady while a poller's claim on the record of key
// lasts, so that a run sets its credential only when no renewal can set
// another one after it. Otherwise it returns the stored record, nil when
// there is none, for storeRenewable to check that no renewal started
// later.
func awaitRenewal(ctx context.Context, env *workflow.Env, key string) (*workflow.CredentialExpiry, error) {
	if env.Credentials == nil {
		return nil, nil
	}
	stored, err := readExpiry(ctx, env, key)
	if err != nil {
		return nil, registryError(err, "read the credential expiry record %s", key)
	}
	if stored != nil && stored.RenewingUntil.After(env.Now()) {
		return nil, renewingError(*stored)
	}
	return stored, nil
}

// storeRenewable stores the record of a token that the run has just set,
// but only when the stored record still matches seen, which awaitRenewal
// returned before the token was set. A poller's claim or renewal in
// between may have set the old record's token after the run's, so then it
// returns NotReady and the step sets its token again.
func storeRenewable(ctx context.Context, env *workflow.Env, expiry workflow.CredentialExpiry, seen *workflow.CredentialExpiry) error {
	if env.Credentials == nil {
		return recordExpiry(ctx, env, expiry)
	}
	now := env.Now()
	err := env.Credentials.Update(ctx, expiry.Key(), func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
		if stored != nil && stored.RenewingUntil.After(now) {
			return nil, renewingError(*stored)
		}
		if !sameRecord(stored, seen) {
			return nil, workflow.Errorf(workflow.ErrNotReady,
				"the credential expiry record of secret %s changed while the step set its CodeArtifact token, "+
					"because a poller renewed the token or another run replaced it, so the step is retried to set its token again",
				expiry.Secret)
		}
		return &expiry, nil
	})
	if err != nil && workflow.NameOf(err) != workflow.ErrNotReady {
		return registryError(err, "record the CodeArtifact token expiry of secret %s for renewal", expiry.Secret)
	}
	return err
}

// registryError wraps a failed call to the credential registry for the
// state machine. A denied call and an invalid request keep their names,
// PermissionDenied and InvalidRequest, so that the step fails at once,
// because only a change to the deployment fixes them. Throttled stays
// Throttled. Any other failure, such as a server error, a lost connection
// or a record that other writers kept changing, is Transient, so that the
// step is retried.
func registryError(err error, format string, args ...any) error {
	operation := fmt.Sprintf(format, args...)
	switch workflow.NameOf(err) {
	case workflow.ErrPermissionDenied, workflow.ErrInvalidRequest, workflow.ErrThrottled:
		return fmt.Errorf("%s: %w", operation, err)
	}
	return workflow.Errorf(workflow.ErrTransient, "%s: %v", operation, err)
}

// sameRecord reports whether a and b, either of which may be nil, are the
// same record apart from WarnedAt, so that no poller claimed or renewed
// the token between the two reads.
func sameRecord(a, b *workflow.CredentialExpiry) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.RenewingUntil.Equal(b.RenewingUntil) && SameRenewal(*a, *b)
}

// renewingError is the NotReady error of a run that waits for the claim on
// stored to end.
func renewingError(stored workflow.CredentialExpiry) error {
	return workflow.Errorf(workflow.ErrNotReady,
		"the poller is renewing the CodeArtifact token in secret %s until %s; the step is retried after that",
		stored.Secret, stored.RenewingUntil.UTC().Format(time.RFC3339))
}
