package provisionendpoint

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/workflow"
)

// failingReservations fails every call with err.
type failingReservations struct {
	err error
}

func (f failingReservations) Reserve(context.Context, workflow.EndpointReservation) (workflow.ReservationResult, error) {
	return workflow.ReservationResult{}, f.err
}

func (f failingReservations) Release(context.Context, string, string, string) error { return f.err }

func TestReserveErrorNames(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "named error keeps its name",
			err:  workflow.Invalid("the deployment cannot reserve private endpoints: REPOLINK_WAITS_PROJECT is missing"),
			want: workflow.ErrInvalidRequest,
		},
		{
			name: "unnamed error is transient",
			err:  errors.New("the account's endpoint reservations changed during every attempt"),
			want: workflow.ErrTransient,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &workflow.Env{EndpointReservations: failingReservations{err: tt.err}}
			err := Reserve(t.Context(), env, endpointDocument("DATA-1", "").Request, "DATA-1", fourEndpoints(), "")
			if err == nil {
				t.Fatal("Reserve returned no error")
			}
			if got := workflow.NameOf(err); got != tt.want {
				t.Errorf("error %q named %q, want %q", err, got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.err.Error()) {
				t.Errorf("error %q does not contain the store's error %q", err, tt.err)
			}
		})
	}
}
