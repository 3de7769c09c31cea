package gcf

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/workflow"
)

// Environment variables that name the Firestore collection of waits.
const (
	envWaitsCollection = "REPOLINK_WAITS_COLLECTION"
	envWaitsProject    = "REPOLINK_WAITS_PROJECT"
	envProject         = "GOOGLE_CLOUD_PROJECT"
	envWaitsDatabase   = "REPOLINK_WAITS_DATABASE"
)

// loadWaitsConfig reads the Firestore collection of waits from the
// environment. A zero Collection means that none is configured. The
// project is REPOLINK_WAITS_PROJECT, or GOOGLE_CLOUD_PROJECT when that is
// unset.
func loadWaitsConfig(getenv func(string) string) (gcpadapter.WaitsConfig, error) {
	read := func(name string) string { return strings.TrimSpace(getenv(name)) }
	cfg := gcpadapter.WaitsConfig{
		Project:    read(envWaitsProject),
		Database:   read(envWaitsDatabase),
		Collection: read(envWaitsCollection),
	}
	if cfg.Project == "" {
		cfg.Project = read(envProject)
	}
	if cfg.Collection == "" {
		return gcpadapter.WaitsConfig{}, nil
	}
	if cfg.Project == "" {
		return cfg, fmt.Errorf("%s is set but neither %s nor %s names the project of the Firestore database",
			envWaitsCollection, envWaitsProject, envProject)
	}
	return cfg, nil
}

// newWaitRegistry returns the wait registry that the environment
// configures: the Firestore store when REPOLINK_WAITS_COLLECTION is set,
// and otherwise one that rejects every call with InvalidRequest. The
// Firestore client is built on first use with opts. The Firestore store
// accepts only waits whose token is a Workflows callback URL, or a
// loopback URL when allowLoopback is true, as the poller's callbacks do.
func newWaitRegistry(getenv func(string) string, opts gcpadapter.Options, allowLoopback bool, logger *slog.Logger) workflow.WaitRegistry {
	cfg, err := loadWaitsConfig(getenv)
	switch {
	case err != nil:
		logger.Error("wait registry misconfigured", "error", err)
		return noWaits{err: workflow.Invalid("the Cloud Functions deployment has no wait registry: %v", err)}
	case cfg.Collection == "":
		logger.Info("no wait registry configured", "setting", envWaitsCollection)
		return noWaits{err: errNoWaits}
	}
	logger.Info("wait registry configured", "project", cfg.Project, "database", cfg.Database, "collection", cfg.Collection)
	return &firestoreWaits{
		lazyStore: lazyStore[gcpadapter.Waits]{
			opts: opts, cfg: cfg, build: gcpadapter.NewWaits,
			name: "the wait registry",
		},
		allowLoopback: allowLoopback,
	}
}

// firestoreWaits is the Firestore wait registry. It builds the client on
// first use and keeps it for later invocations on the same instance, as
// the other clients are kept.
type firestoreWaits struct {
	lazyStore[gcpadapter.Waits]
	// allowLoopback also accepts loopback callback URLs, for tests.
	allowLoopback bool
}

// Put stores w. A token that the poller would not complete, such as a Step
// Functions task token, fails with InvalidRequest before anything is
// stored.
func (f *firestoreWaits) Put(ctx context.Context, w workflow.Wait) error {
	if _, err := gcpadapter.CheckCallbackURL(w.Token, f.allowLoopback); err != nil {
		return err
	}
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.Put(ctx, w)
}

func (f *firestoreWaits) List(ctx context.Context) ([]workflow.Wait, error) {
	store, err := f.open()
	if err != nil {
		return nil, err
	}
	return store.List(ctx)
}

func (f *firestoreWaits) Delete(ctx context.Context, token string) error {
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.Delete(ctx, token)
}

// noWaits is the wait registry of a deployment that has none, or whose
// configuration is invalid. Every call returns err.
type noWaits struct {
	err error
}

var errNoWaits = workflow.Invalid("the Cloud Functions deployment has no wait registry, so the long endpoint wait cannot run here; " +
	"set " + envWaitsCollection + " and " + envWaitsProject + " to store waits in Firestore")

func (n noWaits) Put(context.Context, workflow.Wait) error      { return n.err }
func (n noWaits) List(context.Context) ([]workflow.Wait, error) { return nil, n.err }
func (n noWaits) Delete(context.Context, string) error          { return n.err }
