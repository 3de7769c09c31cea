package gcf

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/repolink/repolink/functions/poller"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/workflow"
)

// newCredentialExpiries returns the credential expiry records that the
// environment configures. When REPOLINK_WAITS_COLLECTION is set, they are
// stored in Firestore under the waits collection, with the same project and
// database settings. Otherwise it returns nil, and the secret step records
// no expiry, so the poller does not warn before a stored token expires. An
// invalid configuration gives records whose every call fails, so that the
// secret step logs the error.
func newCredentialExpiries(getenv func(string) string, opts gcpadapter.Options, logger *slog.Logger) workflow.CredentialRegistry {
	cfg, err := loadWaitsConfig(getenv)
	switch {
	case err != nil:
		// newWaitRegistry logs the same configuration error.
		return failedCredentials{err: workflow.Invalid("the Cloud Functions deployment cannot record credential expiries: %v", err)}
	case cfg.Collection == "":
		logger.Info("no credential expiry records configured, so the poller does not warn before a stored index token expires",
			"setting", envWaitsCollection)
		return nil
	}
	return &firestoreCredentials{lazyStore[gcpadapter.CredentialExpiries]{
		opts: opts, cfg: cfg, build: gcpadapter.NewCredentialExpiries,
		name: "the credential expiries under the collection",
	}}
}

// firestoreCredentials builds the Firestore client of the credential
// expiry records on first use and reuses it for later invocations on the
// same instance.
type firestoreCredentials struct {
	lazyStore[gcpadapter.CredentialExpiries]
}

var (
	_ workflow.CredentialRegistry = (*firestoreCredentials)(nil)
	_ noticeClaims                = (*firestoreCredentials)(nil)
	_ checkClaims                 = (*firestoreCredentials)(nil)
)

func (f *firestoreCredentials) Put(ctx context.Context, c workflow.CredentialExpiry) error {
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.Put(ctx, c)
}

func (f *firestoreCredentials) List(ctx context.Context) ([]workflow.CredentialExpiry, error) {
	store, err := f.open()
	if err != nil {
		return nil, err
	}
	return store.List(ctx)
}

func (f *firestoreCredentials) Delete(ctx context.Context, key string) error {
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.Delete(ctx, key)
}

func (f *firestoreCredentials) Update(ctx context.Context, key string, change func(*workflow.CredentialExpiry) (*workflow.CredentialExpiry, error)) error {
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.Update(ctx, key, change)
}

func (f *firestoreCredentials) ClaimNotice(ctx context.Context, c workflow.CredentialExpiry, now, until time.Time) (bool, error) {
	store, err := f.open()
	if err != nil {
		return false, err
	}
	return store.ClaimNotice(ctx, c, now, until)
}

func (f *firestoreCredentials) MarkNoticeSent(ctx context.Context, c workflow.CredentialExpiry) error {
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.MarkNoticeSent(ctx, c)
}

func (f *firestoreCredentials) ReleaseNotice(ctx context.Context, c workflow.CredentialExpiry, until time.Time) error {
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.ReleaseNotice(ctx, c, until)
}

func (f *firestoreCredentials) ClaimCheck(ctx context.Context, now, until time.Time) (bool, error) {
	store, err := f.open()
	if err != nil {
		return false, err
	}
	return store.ClaimCheck(ctx, now, until)
}

// checkClaimTime is how long one poll's claim on the credential checks
// lasts. It is longer than the time that the poller gives them,
// poller.CredentialCheckTimeout, and shorter than the minute between
// scheduled polls.
const checkClaimTime = poller.CredentialCheckTimeout + 10*time.Second

// checkClaims keeps two polls that run at the same time from both checking
// the credential expiry records. *gcpadapter.CredentialExpiries implements
// it in Firestore.
type checkClaims interface {
	ClaimCheck(ctx context.Context, now, until time.Time) (bool, error)
}

// pollerCredentials are the credential expiry records as the poller reads
// them. List claims the credential checks first and returns no record
// while another poll holds the claim, so that a poll that outlasts the
// minute of its schedule and the next one do not both log the warning.
type pollerCredentials struct {
	workflow.CredentialRegistry
	claims checkClaims
	now    func() time.Time
	logger *slog.Logger
}

func (p pollerCredentials) List(ctx context.Context) ([]workflow.CredentialExpiry, error) {
	now := p.now()
	claimed, err := p.claims.ClaimCheck(ctx, now, now.Add(checkClaimTime))
	if err != nil {
		return nil, fmt.Errorf("claim the credential checks: %w", err)
	}
	if !claimed {
		p.logger.Info("credential checks skipped; another poll is running them")
		return nil, nil
	}
	return p.CredentialRegistry.List(ctx)
}

// failedCredentials are the credential expiry records of a deployment
// whose waits configuration is invalid. Every call returns err.
type failedCredentials struct {
	err error
}

func (f failedCredentials) Put(context.Context, workflow.CredentialExpiry) error { return f.err }
func (f failedCredentials) List(context.Context) ([]workflow.CredentialExpiry, error) {
	return nil, f.err
}
func (f failedCredentials) Delete(context.Context, string) error { return f.err }
func (f failedCredentials) Update(context.Context, string, func(*workflow.CredentialExpiry) (*workflow.CredentialExpiry, error)) error {
	return f.err
}
