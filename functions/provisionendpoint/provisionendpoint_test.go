package provisionendpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

func endpointsFor(hosts ...string) []EndpointInfo {
	var infos []EndpointInfo
	for i, host := range hosts {
		infos = append(infos, EndpointInfo{ProviderServiceName: fmt.Sprintf("svc-%d", i), Host: host})
	}
	return infos
}

func TestCheckCapacity(t *testing.T) {
	tests := []struct {
		name     string
		infos    []EndpointInfo
		own      string
		conflict bool
	}{
		{"empty account", nil, "", false},
		{"room for one more", endpointsFor("a", "b", "c", "d"), "", false},
		{"full account", endpointsFor("a", "b", "c", "d", "e"), "", true},
		{"full with the request's own endpoint", endpointsFor("a", "b", "c", "d", "e"), "SVC-4", false},
		{"full with another request's endpoint for the same host",
			endpointsFor("a", "b", "c", "d", "pypi.corp.example.com"), "svc-9", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCapacity("acme-prod", tt.infos, ServiceIs(tt.own))
			if got := workflow.NameOf(err) == workflow.ErrConflict; got != tt.conflict {
				t.Errorf("CheckCapacity() = %v, want conflict %v", err, tt.conflict)
			}
		})
	}
}

func TestCheckCapacityAdvisesRedrive(t *testing.T) {
	err := CheckCapacity("acme-prod", endpointsFor("a", "b", "c", "d", "e"), nil)
	want := "account acme-prod has 5 private endpoints, the maximum, 0 of them deprovisioned and still counted for 7 days after deprovisioning; " +
		"deprovision an endpoint that is no longer used with SYSTEM$DEPROVISION_PRIVATELINK_ENDPOINT and redrive this run 7 days later"
	if err == nil || err.Error() != want {
		t.Errorf("CheckCapacity() = %v, want %q", err, want)
	}
	var capacity *CapacityError
	if !errors.As(err, &capacity) {
		t.Fatalf("CheckCapacity() = %T, want *CapacityError", err)
	}
	if got := capacity.Advice("run the request"); strings.Contains(got, "redrive") {
		t.Errorf("Advice(%q) = %q, want no advice to redrive", "run the request", got)
	}
}

func TestCapacityAdviceWithDeprovisioned(t *testing.T) {
	deprovisioned := func(n int) []EndpointInfo {
		infos := endpointsFor("a", "b", "c", "d", "e")
		for i := range n {
			infos[i].EndpointState = "PENDING_DELETION"
		}
		// DELETING counts as deprovisioned too.
		infos[0].EndpointState = "DELETING"
		return infos
	}
	tests := []struct {
		name  string
		infos []EndpointInfo
		want  []string
		never []string
	}{
		{
			name:  "all deprovisioned",
			infos: deprovisioned(5),
			want: []string{
				"5 of them deprovisioned",
				"no endpoint is left to deprovision, because all 5 are deprovisioned already",
				"Snowflake frees the first place 7 days after the teardown of the oldest of them, so redrive this run then",
				"SNOWFLAKE.ACCOUNT_USAGE.OUTBOUND_PRIVATELINK_ENDPOINTS",
			},
			never: []string{"SYSTEM$DEPROVISION_PRIVATELINK_ENDPOINT", "redrive this run 7 days later"},
		},
		{
			name:  "some deprovisioned",
			infos: deprovisioned(2),
			want: []string{
				"2 of them deprovisioned",
				"Snowflake frees the first place 7 days after the teardown of the oldest of the 2 deprovisioned endpoints, so redrive this run then",
				"deprovisioning another endpoint frees no place sooner",
			},
			never: []string{"SYSTEM$DEPROVISION_PRIVATELINK_ENDPOINT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCapacity("acme-prod", tt.infos, ServiceIs("svc-9"))
			if err == nil {
				t.Fatal("CheckCapacity() = nil, want a capacity conflict")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("CheckCapacity() = %q, want it to contain %q", err, want)
				}
			}
			for _, never := range tt.never {
				if strings.Contains(err.Error(), never) {
					t.Errorf("CheckCapacity() = %q, want no %q", err, never)
				}
			}
		})
	}
}

func TestCheckCapacityOwnDeprovisioned(t *testing.T) {
	infos := endpointsFor("a", "b", "c", "d", "e")
	for i := range infos {
		infos[i].EndpointState = "PENDING_DELETION"
	}
	if err := CheckCapacity("acme-prod", infos, ServiceIs("svc-3")); err != nil {
		t.Errorf("CheckCapacity() = %v, want nil because the run restores its own endpoint", err)
	}
}

func TestReservationConflictWithDeprovisioned(t *testing.T) {
	infos := endpointsFor("a", "b", "c", "d")
	infos[1].EndpointState = "PENDING_DELETION"
	req := request.Request{ID: "DATA-1", Snowflake: request.Snowflake{Account: "acme-prod"}}
	err := reservationConflict(req, infos, workflow.ReservationResult{Holders: []string{"DATA-2"}})
	if err == nil {
		t.Fatal("reservationConflict() = nil, want a conflict")
	}
	want := "redrive this run when one of those runs has closed without an endpoint, or Snowflake frees the first place 7 days after the teardown of the oldest of the 1 deprovisioned endpoints"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("reservationConflict() = %q, want it to contain %q", err, want)
	}
}

// limitAccount is a Snowflake account that, like Snowflake, provisions an
// endpoint only while fewer than MaxEndpoints exist, checked and recorded
// in one step. The first readers reads of
// SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO wait for one another, so that every
// run reads the account before any of them provisions.
type limitAccount struct {
	mu         sync.Mutex
	infos      []EndpointInfo
	provisions int

	readers int
	arrived int
	allRead chan struct{}
}

func newLimitAccount(existing, readers int) *limitAccount {
	a := &limitAccount{readers: readers, allRead: make(chan struct{})}
	for i := range existing {
		a.infos = append(a.infos, EndpointInfo{ProviderServiceName: fmt.Sprintf("svc-%d", i), Host: fmt.Sprintf("h%d.example.com", i)})
	}
	return a
}

func (a *limitAccount) Exec(context.Context, string) error { return errors.New("unexpected Exec") }

func (a *limitAccount) Query(_ context.Context, stmt string) ([]snowflake.Row, error) {
	switch {
	case stmt == snowflake.GetPrivateLinkEndpointsInfo():
		a.mu.Lock()
		data, err := json.Marshal(a.infos)
		waiting := a.arrived < a.readers
		if waiting {
			a.arrived++
			if a.arrived == a.readers {
				close(a.allRead)
			}
		}
		a.mu.Unlock()
		if waiting {
			<-a.allRead
		}
		return []snowflake.Row{{"SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO()": string(data)}}, err
	case strings.HasPrefix(stmt, "SELECT SYSTEM$PROVISION_PRIVATELINK_ENDPOINT('"):
		service, host, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(stmt, "SELECT SYSTEM$PROVISION_PRIVATELINK_ENDPOINT('"), "')"), "', '")
		a.mu.Lock()
		defer a.mu.Unlock()
		a.provisions++
		if len(a.infos) >= MaxEndpoints {
			return nil, &snowflake.Error{Op: "query", Code: "000603", Message: "Private endpoint provisioning failed."}
		}
		a.infos = append(a.infos, EndpointInfo{ProviderServiceName: service, Host: host, Status: "Pending"})
		return []snowflake.Row{{"status": "provisioned successfully"}}, nil
	}
	return nil, fmt.Errorf("unexpected query %q", stmt)
}

func endpointDocument(requestID, service string) workflow.Document {
	return workflow.Document{
		Request: request.Request{
			ID:         requestID,
			Snowflake:  request.Snowflake{Account: "acme-prod"},
			Repository: request.Repository{IndexURL: "https://pypi.corp.example.com/simple/"},
		},
		Resources: workflow.Resources{EndpointService: &workflow.EndpointService{ServiceName: service}},
	}
}

// runTogether runs the endpoint step for DATA-1 and DATA-2 at the same
// moment on an account with room for one more endpoint.
func runTogether(t *testing.T, account *limitAccount, reservations workflow.EndpointReservations) [2]error {
	t.Helper()
	env := &workflow.Env{
		Snowflake:            func(context.Context, request.Snowflake) (snowflake.Conn, error) { return account, nil },
		EndpointReservations: reservations,
		Now:                  time.Now,
	}
	var errs [2]error
	var wg sync.WaitGroup
	for i, service := range []string{"svc-a", "svc-b"} {
		wg.Go(func() {
			// Each request has its own host, because an account routes a
			// host to one endpoint only.
			doc := endpointDocument(fmt.Sprintf("DATA-%d", i+1), service)
			doc.Request.Repository.IndexURL = fmt.Sprintf("https://pypi%d.corp.example.com/simple/", i+1)
			_, errs[i] = Run(t.Context(), env, doc)
		})
	}
	wg.Wait()
	return errs
}

func TestRunConcurrentLastPlace(t *testing.T) {
	account := newLimitAccount(MaxEndpoints-1, 2)
	errs := runTogether(t, account, nil)

	failed := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		failed++
		if got := workflow.NameOf(err); got != workflow.ErrConflict {
			t.Errorf("error name = %q, want %s (error %v)", got, workflow.ErrConflict, err)
		}
		if !strings.Contains(err.Error(), "the maximum") || !strings.Contains(err.Error(), "SYSTEM$DEPROVISION_PRIVATELINK_ENDPOINT") {
			t.Errorf("error %q does not name the limit and what to do", err)
		}
	}
	if failed != 1 {
		t.Errorf("runs that failed = %d, want 1 (errors %v)", failed, errs)
	}
	if got := len(account.infos); got != MaxEndpoints {
		t.Errorf("endpoints = %d, want %d", got, MaxEndpoints)
	}
}

func TestRunConcurrentReservesFirst(t *testing.T) {
	account := newLimitAccount(MaxEndpoints-1, 2)
	store, err := reservations.Open(filepath.Join(t.TempDir(), "reservations.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	errs := runTogether(t, account, store)

	refused := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		refused++
		if !strings.Contains(err.Error(), "the remaining place is reserved by the run of DATA-") {
			t.Errorf("error %q does not say that another run reserved the place", err)
		}
	}
	if refused != 1 {
		t.Errorf("runs refused = %d, want 1 (errors %v)", refused, errs)
	}
	if account.provisions != 1 {
		t.Errorf("SYSTEM$PROVISION_PRIVATELINK_ENDPOINT calls = %d, want 1", account.provisions)
	}
}

func TestReserveNamesOnlyCountedHolders(t *testing.T) {
	store, err := reservations.Open(filepath.Join(t.TempDir(), "reservations.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	env := &workflow.Env{EndpointReservations: store, Now: time.Now}
	requestFor := func(id string) request.Request {
		return endpointDocument(id, "").Request
	}

	three := endpointsFor("a.example.com", "b.example.com", "c.example.com")
	if err := Reserve(t.Context(), env, requestFor("DATA-100"), "DATA-100", three, "svc-a"); err != nil {
		t.Fatalf("reserve DATA-100: %v", err)
	}
	// DATA-100's endpoint is listed now, and DATA-300 takes the last place.
	four := append(three, EndpointInfo{ProviderServiceName: "svc-a", Host: "d.example.com"})
	if err := Reserve(t.Context(), env, requestFor("DATA-300"), "DATA-300", four, ""); err != nil {
		t.Fatalf("reserve DATA-300: %v", err)
	}

	err = Reserve(t.Context(), env, requestFor("DATA-201"), "DATA-201", four, "")
	if got := workflow.NameOf(err); got != workflow.ErrConflict {
		t.Fatalf("error name = %q, want %s (error %v)", got, workflow.ErrConflict, err)
	}
	if !strings.Contains(err.Error(), "has 4 private endpoints of the maximum of 5, and the remaining place is reserved by the run of DATA-300;") {
		t.Errorf("error %q does not name DATA-300 as the only holder", err)
	}
	if strings.Contains(err.Error(), "DATA-100") {
		t.Errorf("error %q names DATA-100, whose endpoint is listed", err)
	}
}

func TestReleaseFreesPlace(t *testing.T) {
	store, err := reservations.Open(filepath.Join(t.TempDir(), "reservations.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	env := &workflow.Env{EndpointReservations: store, Now: time.Now}
	four := endpointsFor("a.example.com", "b.example.com", "c.example.com", "d.example.com")
	first, second := endpointDocument("DATA-1", "").Request, endpointDocument("DATA-2", "").Request

	if err := Reserve(t.Context(), env, first, "DATA-1", four, ""); err != nil {
		t.Fatalf("reserve DATA-1: %v", err)
	}
	if err := Release(t.Context(), env, first); err != nil {
		t.Fatalf("release DATA-1: %v", err)
	}
	if err := Reserve(t.Context(), env, second, "DATA-2", four, ""); err != nil {
		t.Errorf("reserve DATA-2 after DATA-1 released its place: %v", err)
	}
	if err := Release(t.Context(), &workflow.Env{}, first); err != nil {
		t.Errorf("release without a reservation store: %v", err)
	}
}

// recordingReservations grants every place and records the executions
// that reserved.
type recordingReservations struct {
	executions []string
}

func (r *recordingReservations) Reserve(_ context.Context, place workflow.EndpointReservation) (workflow.ReservationResult, error) {
	r.executions = append(r.executions, place.Execution)
	return workflow.ReservationResult{Reserved: true}, nil
}

func (r *recordingReservations) Release(context.Context, string, string, string) error { return nil }

func TestRunReservesAsExecution(t *testing.T) {
	account := newLimitAccount(MaxEndpoints-1, 0)
	recorded := &recordingReservations{}
	env := &workflow.Env{
		Snowflake:            func(context.Context, request.Snowflake) (snowflake.Conn, error) { return account, nil },
		EndpointReservations: recorded,
		Now:                  time.Now,
	}
	doc := endpointDocument("DATA-1", "svc-a")
	doc.Execution = "DATA-1-r2"
	if _, err := Run(t.Context(), env, doc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if diff := cmp.Diff([]string{"DATA-1-r2"}, recorded.executions); diff != "" {
		t.Errorf("reserving executions (-want +got):\n%s", diff)
	}
}
