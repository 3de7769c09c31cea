package gcf

import (
	"context"
	"log/slog"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/workflow"
)

// newEndpointReservations returns the endpoint reservations that the
// environment configures. When REPOLINK_WAITS_COLLECTION is set, they are
// stored in Firestore under the waits collection, with the same project and
// database settings. Otherwise it returns nil, and preflight and the
// endpoint step check only the endpoints that Snowflake lists. An invalid
// configuration gives reservations whose every call fails, so a
// private-link run stops at preflight before it builds anything.
func newEndpointReservations(getenv func(string) string, opts gcpadapter.Options, logger *slog.Logger) workflow.EndpointReservations {
	cfg, err := loadWaitsConfig(getenv)
	switch {
	case err != nil:
		// newWaitRegistry logs the same configuration error.
		return failedReservations{err: workflow.Invalid("the Cloud Functions deployment cannot reserve private endpoints: %v", err)}
	case cfg.Collection == "":
		logger.Info("no endpoint reservations configured, so runs started together can both count the last private endpoint as free",
			"setting", envWaitsCollection)
		return nil
	}
	return &firestoreReservations{lazyStore[gcpadapter.EndpointReservations]{
		opts: opts, cfg: cfg, build: gcpadapter.NewEndpointReservations,
		name: "the endpoint reservations under the collection",
	}}
}

// firestoreReservations builds the Firestore reservations client on first
// use and reuses it for later invocations on the same instance.
type firestoreReservations struct {
	lazyStore[gcpadapter.EndpointReservations]
}

func (f *firestoreReservations) Reserve(ctx context.Context, r workflow.EndpointReservation) (workflow.ReservationResult, error) {
	store, err := f.open()
	if err != nil {
		return workflow.ReservationResult{}, err
	}
	return store.Reserve(ctx, r)
}

func (f *firestoreReservations) Release(ctx context.Context, account, requestID, execution string) error {
	store, err := f.open()
	if err != nil {
		return err
	}
	return store.Release(ctx, account, requestID, execution)
}

// failedReservations are the reservations of a deployment whose waits
// configuration is invalid. Every call returns err.
type failedReservations struct {
	err error
}

func (f failedReservations) Reserve(context.Context, workflow.EndpointReservation) (workflow.ReservationResult, error) {
	return workflow.ReservationResult{}, f.err
}

func (f failedReservations) Release(context.Context, string, string, string) error { return f.err }
