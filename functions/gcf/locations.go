package gcf

import (
	"context"
	"log/slog"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/workflow"
)

// newObjectLocations returns the object location records that the
// environment configures. When REPOLINK_WAITS_COLLECTION is set, they are
// stored in Firestore under the waits collection, with the same project
// and database settings. Otherwise it returns nil, and a teardown keeps an
// earlier run's repository and secret in a schema that the request has
// left. With an invalid configuration it returns records whose every call
// fails, so that the secret and repository steps fail before they create an
// object that nothing records.
func newObjectLocations(getenv func(string) string, opts gcpadapter.Options, logger *slog.Logger) workflow.LocationRegistry {
	cfg, err := loadWaitsConfig(getenv)
	switch {
	case err != nil:
		// newWaitRegistry logs the same configuration error.
		return failedLocations{err: workflow.Invalid("the Cloud Functions deployment cannot record object locations: %v", err)}
	case cfg.Collection == "":
		logger.Info("no object location records configured, so a teardown keeps an earlier run's objects in a schema that the request left",
			"setting", envWaitsCollection)
		return nil
	}
	return &firestoreLocations{lazyStore[gcpadapter.ObjectLocations]{
		opts: opts, cfg: cfg, build: gcpadapter.NewObjectLocations,
		name: "the object location records under the collection",
	}}
}

// firestoreLocations builds the Firestore client of the object location
// records on first use and reuses it for later invocations on the same
// instance.
type firestoreLocations struct {
	lazyStore[gcpadapter.ObjectLocations]
}

var _ workflow.LocationRegistry = (*firestoreLocations)(nil)

func (f *firestoreLocations) Put(ctx context.Context, l workflow.ObjectLocation) error {
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.Put(ctx, l)
}

func (f *firestoreLocations) List(ctx context.Context, requestID string) ([]workflow.ObjectLocation, error) {
	store, err := f.open()
	if err != nil {
		return nil, err
	}
	return store.List(ctx, requestID)
}

func (f *firestoreLocations) Delete(ctx context.Context, l workflow.ObjectLocation) error {
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.Delete(ctx, l)
}

// failedLocations are the object location records of a deployment whose
// waits configuration is invalid. Every call returns err.
type failedLocations struct {
	err error
}

func (f failedLocations) Put(context.Context, workflow.ObjectLocation) error { return f.err }
func (f failedLocations) List(context.Context, string) ([]workflow.ObjectLocation, error) {
	return nil, f.err
}
func (f failedLocations) Delete(context.Context, workflow.ObjectLocation) error { return f.err }
