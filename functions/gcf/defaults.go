package gcf

import (
	"context"
	"log/slog"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/workflow"
)

// newDefaultLevels returns the default repository records that the
// environment configures. When REPOLINK_WAITS_COLLECTION is set, they are
// stored in Firestore under the waits collection, with the same project and
// database settings. Otherwise it returns nil, and a run unsets a default
// on a level that default_for no longer names only when the request
// created the repository. An invalid configuration gives records whose
// every call fails, so that the default step fails before it sets a level
// that nothing records.
func newDefaultLevels(getenv func(string) string, opts gcpadapter.Options, logger *slog.Logger) workflow.DefaultRegistry {
	cfg, err := loadWaitsConfig(getenv)
	switch {
	case err != nil:
		// newWaitRegistry logs the same configuration error.
		return failedDefaults{err: workflow.Invalid("the Cloud Functions deployment cannot record default repository levels: %v", err)}
	case cfg.Collection == "":
		logger.Info("no default repository records configured, so a run and teardown leave a default that a run set on an adopted repository",
			"setting", envWaitsCollection)
		return nil
	}
	return &firestoreDefaults{lazyStore[gcpadapter.DefaultLevels]{
		opts: opts, cfg: cfg, build: gcpadapter.NewDefaultLevels,
		name: "the default repository records under the collection",
	}}
}

// firestoreDefaults builds the Firestore client of the default repository
// records on first use and reuses it for later invocations on the same
// instance.
type firestoreDefaults struct {
	lazyStore[gcpadapter.DefaultLevels]
}

var _ workflow.DefaultRegistry = (*firestoreDefaults)(nil)

func (f *firestoreDefaults) Put(ctx context.Context, d workflow.DefaultSetting) error {
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.Put(ctx, d)
}

func (f *firestoreDefaults) List(ctx context.Context) ([]workflow.DefaultSetting, error) {
	store, err := f.open()
	if err != nil {
		return nil, err
	}
	return store.List(ctx)
}

func (f *firestoreDefaults) Delete(ctx context.Context, key string) error {
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.Delete(ctx, key)
}

func (f *firestoreDefaults) UpdateClaim(ctx context.Context, key string, change workflow.ChangeClaim) error {
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.UpdateClaim(ctx, key, change)
}

// failedDefaults are the default repository records of a deployment whose
// waits configuration is invalid. Every call returns err.
type failedDefaults struct {
	err error
}

func (f failedDefaults) Put(context.Context, workflow.DefaultSetting) error { return f.err }
func (f failedDefaults) List(context.Context) ([]workflow.DefaultSetting, error) {
	return nil, f.err
}
func (f failedDefaults) Delete(context.Context, string) error { return f.err }
func (f failedDefaults) UpdateClaim(context.Context, string, workflow.ChangeClaim) error {
	return f.err
}
