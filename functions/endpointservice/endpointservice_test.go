package endpointservice

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

type network struct {
	cloud.AWSNetwork
	svc     *cloud.EndpointService
	allowed []string
	created int
	// lagging holds principals that were added but are not listed yet.
	lagging []string
	lag     bool
}

func (n *network) FindEndpointService(context.Context, string) (*cloud.EndpointService, error) {
	return n.svc, nil
}

func (n *network) CreateEndpointService(_ context.Context, _, lb, _ string) (cloud.EndpointService, error) {
	n.created++
	n.svc = &cloud.EndpointService{ID: "vpce-svc-1", Name: "com.amazonaws.vpce.us-west-2.vpce-svc-1", AcceptanceRequired: true, LoadBalancerARNs: []string{lb}}
	return *n.svc, nil
}

func (n *network) AllowedPrincipals(context.Context, string) ([]string, error) {
	return slices.Clone(n.allowed), nil
}

func (n *network) AddAllowedPrincipal(_ context.Context, _, p string) error {
	if n.lag {
		n.lagging = append(n.lagging, p)
		return nil
	}
	n.allowed = append(n.allowed, p)
	return nil
}

type configConn struct{ config string }

func (c configConn) Exec(context.Context, string) error { return nil }
func (c configConn) Query(context.Context, string) ([]snowflake.Row, error) {
	return []snowflake.Row{{"config": c.config}}, nil
}

func run(t *testing.T, fake *network, config string) (Output, error) {
	t.Helper()
	env := &workflow.Env{
		AWS:       func(context.Context, string) (cloud.AWSNetwork, error) { return fake, nil },
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return configConn{config}, nil },
	}
	doc := workflow.Document{
		Request:   request.Request{ID: "T-1", AWS: &request.AWS{Region: "us-west-2"}},
		Resources: workflow.Resources{LoadBalancer: &workflow.LoadBalancer{Result: workflow.Result{ID: "arn:lb"}}},
	}
	return Run(context.Background(), env, doc)
}

func TestRunMergesPrincipal(t *testing.T) {
	fake := &network{allowed: []string{"arn:aws:iam::111122223333:role/ops"}}
	out, err := run(t, fake, `{"privatelink-account-principal":"arn:aws:iam::210987654321:root"}`)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := []string{"arn:aws:iam::111122223333:role/ops", "arn:aws:iam::210987654321:root"}
	if !slices.Equal(fake.allowed, want) {
		t.Errorf("allowed = %v, want %v", fake.allowed, want)
	}
	if out.Action != workflow.Created {
		t.Errorf("action = %q, want created", out.Action)
	}

	again, err := run(t, fake, `{"privatelink-account-principal":"arn:aws:iam::210987654321:root"}`)
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if again.Action != workflow.Adopted || fake.created != 1 || len(fake.allowed) != 2 {
		t.Errorf("second run: action %q, %d services created, %d principals; want adopted, 1, 2", again.Action, fake.created, len(fake.allowed))
	}
}

func TestRunRejectsBadPrincipal(t *testing.T) {
	for _, principal := range []string{
		"arn:aws:sts::210987654321:assumed-role/snowflake/session",
		"arn:aws:iam::2109876543:root",
		"",
	} {
		fake := &network{}
		_, err := run(t, fake, `{"privatelink-account-principal":"`+principal+`"}`)
		if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
			t.Errorf("principal %q: error name %q (%v), want InvalidRequest", principal, got, err)
		}
		if len(fake.allowed) != 0 {
			t.Errorf("principal %q was added", principal)
		}
	}
}

func TestRunWaitsForAddedPrincipal(t *testing.T) {
	const principal = "arn:aws:iam::210987654321:root"
	config := `{"privatelink-account-principal":"` + principal + `"}`
	fake := &network{lag: true}
	_, err := run(t, fake, config)
	if got := workflow.NameOf(err); got != workflow.ErrNotReady {
		t.Fatalf("Run while the added principal is not listed: error name %q (%v), want NotReady", got, err)
	}
	if !slices.Equal(fake.lagging, []string{principal}) {
		t.Errorf("added %v, want %s", fake.lagging, principal)
	}

	fake.lag = false
	fake.allowed = append(fake.allowed, fake.lagging...)
	out, err := run(t, fake, config)
	if err != nil {
		t.Fatalf("Run once the principal is listed: %v", err)
	}
	if out.Principal != principal {
		t.Errorf("principal = %q, want %q", out.Principal, principal)
	}
	if !slices.Equal(fake.allowed, []string{principal}) {
		t.Errorf("allowed = %v, want only %s", fake.allowed, principal)
	}
}

// zonedNetwork adds a load balancer in zones to the fake.
type zonedNetwork struct {
	network
	zones []string
}

func (n *zonedNetwork) FindLoadBalancer(context.Context, string) (*cloud.LoadBalancer, error) {
	return &cloud.LoadBalancer{ARN: "arn:lb", Name: "repolink-t-1", Zones: n.zones}, nil
}

func TestRunZonesAddedAfterAssociation(t *testing.T) {
	const config = `{"privatelink-account-principal":"arn:aws:iam::210987654321:root"}`
	svc := &cloud.EndpointService{ID: "vpce-svc-1", AcceptanceRequired: true, Zones: []string{"us-west-2a", "us-west-2b"}}

	fake := &zonedNetwork{network: network{svc: svc}, zones: []string{"us-west-2a", "us-west-2b", "us-west-2c"}}
	env := &workflow.Env{
		AWS:       func(context.Context, string) (cloud.AWSNetwork, error) { return fake, nil },
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return configConn{config}, nil },
	}
	doc := workflow.Document{
		Request:   request.Request{ID: "T-1", AWS: &request.AWS{Region: "us-west-2"}},
		Resources: workflow.Resources{LoadBalancer: &workflow.LoadBalancer{Result: workflow.Result{ID: "arn:lb"}}},
	}
	_, err := Run(t.Context(), env, doc)
	if got := workflow.NameOf(err); got != workflow.ErrConflict {
		t.Fatalf("Run = %v, want Conflict", err)
	}
	for _, want := range []string{"vpce-svc-1", "us-west-2c", "Associate or disassociate load balancers", "redrive"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	fake.zones = []string{"us-west-2a", "us-west-2b"}
	if _, err := Run(t.Context(), env, doc); err != nil {
		t.Errorf("Run with the service in every zone of the load balancer: %v", err)
	}
}
