package teardownendpoint

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

const serviceName = "com.amazonaws.vpce.us-west-2.vpce-svc-1"

type network struct {
	cloud.AWSNetwork
	svc *cloud.EndpointService
}

func (n *network) FindEndpointService(context.Context, string) (*cloud.EndpointService, error) {
	return n.svc, nil
}

// infoConn returns one SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO value and
// records the other queries.
type infoConn struct {
	info    string
	queries []string
}

func (c *infoConn) Exec(context.Context, string) error { return nil }

func (c *infoConn) Query(_ context.Context, stmt string) ([]snowflake.Row, error) {
	if strings.Contains(stmt, "GET_PRIVATELINK_ENDPOINTS_INFO") {
		return []snowflake.Row{{"info": c.info}}, nil
	}
	c.queries = append(c.queries, stmt)
	return []snowflake.Row{{"result": "marked for deletion"}}, nil
}

func run(t *testing.T, svc *cloud.EndpointService, conn *infoConn) Output {
	t.Helper()
	env := &workflow.Env{
		AWS:       func(context.Context, string) (cloud.AWSNetwork, error) { return &network{svc: svc}, nil },
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return conn, nil },
	}
	doc := workflow.Document{Request: request.Request{ID: "DATA-4711", AWS: &request.AWS{Region: "us-west-2"}}}
	out, err := Run(context.Background(), env, doc)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out
}

func TestRunDeprovisions(t *testing.T) {
	cases := []struct {
		name       string
		info       string
		wantAction string
		wantCalls  int
	}{
		{"live endpoint", `[{"provider_service_name":"` + serviceName + `","endpoint_state":"CREATED","host":"pypi.corp.example.com","status":"Available"}]`, workflow.Deleted, 1},
		{"already queued", `[{"provider_service_name":"` + serviceName + `","endpoint_state":"PENDING_DELETION","status":"Deleting"}]`, workflow.Skipped, 0},
		{"other service only", `[{"provider_service_name":"com.amazonaws.vpce.us-west-2.vpce-svc-2","endpoint_state":"CREATED"}]`, workflow.Skipped, 0},
		{"no endpoints", `[]`, workflow.Skipped, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn := &infoConn{info: tc.info}
			out := run(t, &cloud.EndpointService{ID: "vpce-svc-1", Name: serviceName}, conn)
			if out.Action != tc.wantAction || out.ID != serviceName {
				t.Errorf("output = %+v, want %s of %s", out, tc.wantAction, serviceName)
			}
			if len(conn.queries) != tc.wantCalls {
				t.Errorf("queries = %v, want %d deprovision calls", conn.queries, tc.wantCalls)
			}
			for _, q := range conn.queries {
				if q != snowflake.DeprovisionPrivateLinkEndpoint(serviceName) {
					t.Errorf("query = %q, want the deprovision call", q)
				}
			}
		})
	}
}

func TestRunWarnsWhenPlacesRunLow(t *testing.T) {
	own := `{"provider_service_name":"` + serviceName + `","endpoint_state":"CREATED","host":"pypi.corp.example.com","status":"Available"}`
	queued := `{"provider_service_name":"com.amazonaws.vpce.us-west-2.vpce-svc-old","endpoint_state":"PENDING_DELETION","status":"Deleting"}`
	live := `{"provider_service_name":"com.amazonaws.vpce.us-west-2.vpce-svc-live","endpoint_state":"CREATED","status":"Available"}`
	cases := []struct {
		name string
		info []string
		want string
	}{
		{"three of five", []string{own, queued, live}, ""},
		{"four of five", []string{own, queued, queued, live}, "now counts 4 of its maximum of 5 private endpoints, 3 of them deprovisioned"},
		{"five of five", []string{own, queued, queued, queued, queued}, "now counts 5 of its maximum of 5 private endpoints, 5 of them deprovisioned"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn := &infoConn{info: "[" + strings.Join(tc.info, ",") + "]"}
			out := run(t, &cloud.EndpointService{ID: "vpce-svc-1", Name: serviceName}, conn)
			if out.Action != workflow.Deleted {
				t.Fatalf("action = %s, want %s", out.Action, workflow.Deleted)
			}
			if tc.want == "" {
				if len(out.Notes) != 0 {
					t.Errorf("notes = %q, want none", out.Notes)
				}
				return
			}
			if len(out.Notes) != 1 {
				t.Fatalf("notes = %q, want one warning", out.Notes)
			}
			if !strings.Contains(out.Notes[0], tc.want) {
				t.Errorf("note = %q, want it to contain %q", out.Notes[0], tc.want)
			}
			if want := "can be blocked for up to 7 days"; !strings.Contains(out.Notes[0], want) {
				t.Errorf("note = %q, want it to contain %q", out.Notes[0], want)
			}
		})
	}
}

func TestRunWithoutServiceSkips(t *testing.T) {
	conn := &infoConn{info: `[]`}
	if out := run(t, nil, conn); out.Action != workflow.Skipped {
		t.Errorf("output = %+v, want skipped", out)
	}
}

func TestRunReleasesReservation(t *testing.T) {
	store, err := reservations.Open(filepath.Join(t.TempDir(), "reservations.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now()
	four := []string{"svc-1", "svc-2", "svc-3", "svc-4"}
	place := func(id string) workflow.EndpointReservation {
		return workflow.EndpointReservation{Account: "acme-prod", RequestID: id, Listed: four, Limit: 5, Now: now}
	}
	if got, err := store.Reserve(t.Context(), place("DATA-4711")); err != nil || !got.Reserved {
		t.Fatalf("reserve DATA-4711 = %+v, %v", got, err)
	}

	env := &workflow.Env{
		AWS:                  func(context.Context, string) (cloud.AWSNetwork, error) { return &network{}, nil },
		EndpointReservations: store,
	}
	doc := workflow.Document{Request: request.Request{
		ID: "DATA-4711", Snowflake: request.Snowflake{Account: "acme-prod"}, AWS: &request.AWS{Region: "us-west-2"},
	}}
	if _, err := Run(t.Context(), env, doc); err != nil {
		t.Fatalf("Run: %v", err)
	}

	if got, err := store.Reserve(t.Context(), place("DATA-4712")); err != nil || !got.Reserved {
		t.Errorf("reserve DATA-4712 after teardown of DATA-4711 = %+v, %v, want the freed place", got, err)
	}
}
