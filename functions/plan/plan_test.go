package plan

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// readOnlyNetwork returns lookups from its fields and fails the test on any
// call that would change something. Methods it does not define, such as
// deletes, panic on the nil embedded interface.
type readOnlyNetwork struct {
	cloud.AWSNetwork
	t        *testing.T
	instance *cloud.Instance
	tg       *cloud.TargetGroup
	lb       *cloud.LoadBalancer
	listener *cloud.Listener
	svc      *cloud.EndpointService
	conns    []cloud.EndpointConnection
}

func (n *readOnlyNetwork) write(op string) error {
	n.t.Errorf("plan called %s, which changes AWS", op)
	return errors.New("not allowed")
}

func (n *readOnlyNetwork) FindInstance(context.Context, string, string) (*cloud.Instance, error) {
	return n.instance, nil
}
func (n *readOnlyNetwork) RunInstance(context.Context, cloud.InstanceSpec) (cloud.Instance, error) {
	return cloud.Instance{}, n.write("RunInstance")
}
func (n *readOnlyNetwork) FindTargetGroup(context.Context, string) (*cloud.TargetGroup, error) {
	return n.tg, nil
}
func (n *readOnlyNetwork) CreateTargetGroup(context.Context, cloud.TargetGroupSpec) (cloud.TargetGroup, error) {
	return cloud.TargetGroup{}, n.write("CreateTargetGroup")
}
func (n *readOnlyNetwork) RegisterTarget(context.Context, string, string, int) error {
	return n.write("RegisterTarget")
}
func (n *readOnlyNetwork) TargetHealth(context.Context, string) ([]cloud.TargetHealth, error) {
	return nil, nil
}
func (n *readOnlyNetwork) FindLoadBalancer(context.Context, string) (*cloud.LoadBalancer, error) {
	return n.lb, nil
}
func (n *readOnlyNetwork) CreateLoadBalancer(context.Context, cloud.LoadBalancerSpec) (cloud.LoadBalancer, error) {
	return cloud.LoadBalancer{}, n.write("CreateLoadBalancer")
}
func (n *readOnlyNetwork) LoadBalancerAttributes(context.Context, string) (map[string]string, error) {
	return nil, nil
}
func (n *readOnlyNetwork) SetLoadBalancerAttributes(context.Context, string, map[string]string) error {
	return n.write("SetLoadBalancerAttributes")
}
func (n *readOnlyNetwork) FindListener(context.Context, string, int) (*cloud.Listener, error) {
	return n.listener, nil
}
func (n *readOnlyNetwork) CreateListener(context.Context, string, string, int) (cloud.Listener, error) {
	return cloud.Listener{}, n.write("CreateListener")
}
func (n *readOnlyNetwork) FindEndpointService(context.Context, string) (*cloud.EndpointService, error) {
	return n.svc, nil
}
func (n *readOnlyNetwork) CreateEndpointService(context.Context, string, string, string) (cloud.EndpointService, error) {
	return cloud.EndpointService{}, n.write("CreateEndpointService")
}
func (n *readOnlyNetwork) AllowedPrincipals(context.Context, string) ([]string, error) {
	return nil, nil
}
func (n *readOnlyNetwork) AddAllowedPrincipal(context.Context, string, string) error {
	return n.write("AddAllowedPrincipal")
}
func (n *readOnlyNetwork) EndpointConnections(context.Context, string) ([]cloud.EndpointConnection, error) {
	return n.conns, nil
}
func (n *readOnlyNetwork) AcceptEndpointConnection(context.Context, string, string) error {
	return n.write("AcceptEndpointConnection")
}

// readOnlyConn returns rows for SHOW and the endpoint system function and fails the
// test on any other statement.
type readOnlyConn struct {
	t         *testing.T
	objects   map[string]bool // SHOW kind → the object exists
	endpoints string
}

func (c *readOnlyConn) Exec(_ context.Context, stmt string) error {
	c.t.Errorf("plan ran %q, which changes Snowflake", stmt)
	return errors.New("not allowed")
}

func (c *readOnlyConn) Query(_ context.Context, stmt string) ([]snowflake.Row, error) {
	if stmt == snowflake.GetPrivateLinkEndpointsInfo() {
		return []snowflake.Row{{"info": c.endpoints}}, nil
	}
	for kind, exists := range c.objects {
		if strings.HasPrefix(stmt, "SHOW "+kind+" LIKE") {
			if !exists {
				return nil, nil
			}
			return []snowflake.Row{{"name": "CORP_PYPI_SECRET"}, {"name": "CORP_PYPI_INTEGRATION"}, {"name": "CORP_PYPI"}}, nil
		}
	}
	c.t.Errorf("plan ran %q, which is not a lookup", stmt)
	return nil, errors.New("not allowed")
}

func exampleRequest(t *testing.T) request.Request {
	t.Helper()
	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	req, err := request.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func env(network cloud.AWSNetwork, conn snowflake.Conn, loginErr error) *workflow.Env {
	return &workflow.Env{
		AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return network, nil },
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) {
			return conn, loginErr
		},
	}
}

func states(r Report) map[string]string {
	out := map[string]string{}
	for _, it := range r.Items {
		out[it.Step+"/"+it.Kind] = it.State
	}
	return out
}

func TestPlanNothingExists(t *testing.T) {
	req := exampleRequest(t)
	network := &readOnlyNetwork{t: t}
	conn := &readOnlyConn{t: t, objects: map[string]bool{"SECRETS": false, "API INTEGRATIONS": false, "ARTIFACT REPOSITORIES": false}, endpoints: "[]"}

	got := states(Plan(context.Background(), env(network, conn, nil), req))

	want := map[string]string{
		"proxy_vm/EC2 instance":                      Create,
		"target_group/target group":                  Create,
		"load_balancer/network load balancer":        Create,
		"load_balancer/listener":                     Create,
		"endpoint_service/VPC endpoint service":      Create,
		"connection/endpoint connection":             Create,
		"endpoint/Snowflake private endpoint":        Create,
		"secret/SECRET":                              Create,
		"integration/API INTEGRATION":                Create,
		"repository/ARTIFACT REPOSITORY":             Create,
		"default/DEFAULT_PYTHON_ARTIFACT_REPOSITORY": Run,
		"grants/grants":                              Run,
		"verification/temporary function":            Run,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

func TestPlanEverythingExists(t *testing.T) {
	req := exampleRequest(t)
	network := &readOnlyNetwork{
		t:        t,
		instance: &cloud.Instance{ID: "i-0123", State: "running"},
		tg:       &cloud.TargetGroup{ARN: "arn:tg"},
		lb:       &cloud.LoadBalancer{ARN: "arn:lb", State: "active"},
		listener: &cloud.Listener{ARN: "arn:listener"},
		svc:      &cloud.EndpointService{ID: "vpce-svc-1", Name: "com.amazonaws.vpce.us-west-2.vpce-svc-1"},
		conns:    []cloud.EndpointConnection{{EndpointID: "vpce-1", State: "available"}},
	}
	conn := &readOnlyConn{t: t, objects: map[string]bool{"SECRETS": true, "API INTEGRATIONS": true, "ARTIFACT REPOSITORIES": true},
		endpoints: `[{"provider_service_name": "com.amazonaws.vpce.us-west-2.vpce-svc-1", "endpoint_state": "CREATED", "status": "Available", "host": "pypi.corp.example.com"}]`}

	report := Plan(context.Background(), env(network, conn, nil), req)

	if n := report.Count(Create); n != 0 {
		t.Errorf("%d items would be created, want 0: %+v", n, report.Items)
	}
	if n := report.Count(Exists); n != 10 {
		t.Errorf("%d items exist, want 10: %+v", n, report.Items)
	}
	for _, it := range report.Items {
		if it.State == Exists && it.ID == "" {
			t.Errorf("existing %s %s has no ID", it.Step, it.Kind)
		}
	}
}

func TestPlanSnowflakeLoginFails(t *testing.T) {
	req := exampleRequest(t)
	report := Plan(context.Background(), env(&readOnlyNetwork{t: t}, nil, errors.New("390100 incorrect username or password")), req)

	if n := report.Count(Unknown); n != 4 {
		t.Errorf("%d items unknown, want 4 (endpoint, secret, integration, repository): %+v", n, report.Items)
	}
	for _, it := range report.Items {
		if it.State == Unknown && !strings.Contains(it.Detail, "log in to Snowflake") {
			t.Errorf("unknown %s has detail %q, want the login error", it.Step, it.Detail)
		}
	}
}
