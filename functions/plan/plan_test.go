package plan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/reservations"
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
	// zones are the region's zones. Nil means us-west-2a and us-west-2b.
	zones []cloud.AvailabilityZone
	// Read-back state of existing resources: registered targets, load
	// balancer attributes and the endpoint service's allowed principals.
	health     []cloud.TargetHealth
	attrs      map[string]string
	principals []string
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
	return n.health, nil
}

// AvailabilityZones returns us-west-2a and us-west-2b, or zones when set.
func (n *readOnlyNetwork) AvailabilityZones(context.Context) ([]cloud.AvailabilityZone, error) {
	if n.zones != nil {
		return n.zones, nil
	}
	return []cloud.AvailabilityZone{{Name: "us-west-2a", ID: "usw2-az1"}, {Name: "us-west-2b", ID: "usw2-az2"}}, nil
}

// Subnets puts a subnet whose ID ends in 1 in us-west-2a, 2 in us-west-2b
// and 3 in us-west-2c.
func (n *readOnlyNetwork) Subnets(_ context.Context, ids []string) ([]cloud.Subnet, error) {
	var out []cloud.Subnet
	for _, id := range ids {
		digit := id[len(id)-1]
		out = append(out, cloud.Subnet{ID: id, VPCID: "vpc-0a1b2c3d4e5f60718",
			ZoneName: "us-west-2" + string(rune('a'+digit-'1')), ZoneID: "usw2-az" + string(rune(digit))})
	}
	return out, nil
}

// The launch reads find every instance type, image and security group, in
// x86_64 and the example request's VPC.
func (n *readOnlyNetwork) InstanceTypeArchitectures(context.Context, string) ([]string, error) {
	return []string{"x86_64"}, nil
}
func (n *readOnlyNetwork) Image(_ context.Context, id string) (cloud.Image, error) {
	return cloud.Image{ID: id, Architecture: "x86_64"}, nil
}
func (n *readOnlyNetwork) SecurityGroups(_ context.Context, ids []string) ([]cloud.SecurityGroup, error) {
	groups := make([]cloud.SecurityGroup, 0, len(ids))
	for _, id := range ids {
		groups = append(groups, cloud.SecurityGroup{ID: id, VPCID: "vpc-0a1b2c3d4e5f60718"})
	}
	return groups, nil
}

func (n *readOnlyNetwork) VPCSubnets(ctx context.Context, _ string) ([]cloud.Subnet, error) {
	return n.Subnets(ctx, []string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"})
}
func (n *readOnlyNetwork) SetLoadBalancerSubnets(context.Context, string, []string) error {
	return n.write("SetLoadBalancerSubnets")
}
func (n *readOnlyNetwork) FindLoadBalancer(context.Context, string) (*cloud.LoadBalancer, error) {
	return n.lb, nil
}
func (n *readOnlyNetwork) CreateLoadBalancer(context.Context, cloud.LoadBalancerSpec) (cloud.LoadBalancer, error) {
	return cloud.LoadBalancer{}, n.write("CreateLoadBalancer")
}
func (n *readOnlyNetwork) LoadBalancerAttributes(context.Context, string) (map[string]string, error) {
	return n.attrs, nil
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
	return n.principals, nil
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

// readOnlyConn returns rows for SHOW, the endpoint system functions and
// the grants, and fails the test on any other statement.
type readOnlyConn struct {
	t         *testing.T
	objects   map[string]snowflake.Row // SHOW kind → the object's row, nil when absent
	endpoints string
	principal string
	// defaultRepo is the value of DEFAULT_PYTHON_ARTIFACT_REPOSITORY, set
	// on defaultLevel: ACCOUNT, DATABASE or SCHEMA.
	defaultRepo  string
	defaultLevel string
	// grantees are the roles that hold USAGE and READ on every object.
	grantees []string
	// roles are the roles that SHOW ROLES lists. When nil, it lists
	// DATA_SCIENCE and ANALYST.
	roles []string
	// integration is DESCRIBE API INTEGRATION as property → property_value,
	// the settings of the example request when nil.
	integration map[string]string
}

func (c *readOnlyConn) Exec(_ context.Context, stmt string) error {
	c.t.Errorf("plan ran %q, which changes Snowflake", stmt)
	return errors.New("not allowed")
}

func (c *readOnlyConn) Query(_ context.Context, stmt string) ([]snowflake.Row, error) {
	switch {
	case stmt == snowflake.GetPrivateLinkEndpointsInfo():
		return []snowflake.Row{{"info": c.endpoints}}, nil
	case stmt == snowflake.GetPrivateLinkConfig():
		return []snowflake.Row{{"config": `{"privatelink-account-principal": "` + c.principal +
			`", "privatelink-vpce-id": "com.amazonaws.vpce.us-west-2.vpce-svc-0abc"}`}}, nil
	case strings.HasPrefix(stmt, "SHOW ARTIFACT REPOSITORIES IN "):
		// The preflight check that the database and schema exist.
		return nil, nil
	case stmt == "SELECT CURRENT_WAREHOUSE()":
		// The preflight check that the session has a warehouse.
		return []snowflake.Row{{"current_warehouse()": "REPOLINK_WH"}}, nil
	case strings.HasPrefix(stmt, "SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN "):
		return c.parameters(stmt), nil
	case strings.HasPrefix(stmt, "SHOW GRANTS ON "):
		return c.grants(stmt)
	case strings.HasPrefix(stmt, "SHOW ROLES LIKE "):
		return c.showRoles(stmt), nil
	case strings.HasPrefix(stmt, "DESCRIBE API INTEGRATION "):
		return c.describe(), nil
	}
	for kind, row := range c.objects {
		if strings.HasPrefix(stmt, "SHOW "+kind+" LIKE") {
			if row == nil {
				return nil, nil
			}
			return []snowflake.Row{row}, nil
		}
	}
	c.t.Errorf("plan ran %q, which is not a lookup", stmt)
	return nil, errors.New("not allowed")
}

// describe returns the rows of DESCRIBE API INTEGRATION.
func (c *readOnlyConn) describe() []snowflake.Row {
	props := c.integration
	if props == nil {
		props = exampleIntegration()
	}
	var rows []snowflake.Row
	for property, value := range props {
		rows = append(rows, snowflake.Row{"property": property, "property_type": "String", "property_value": value, "property_default": ""})
	}
	return rows
}

// exampleIntegration returns the DESCRIBE API INTEGRATION properties of the
// example request's integration.
func exampleIntegration() map[string]string {
	return map[string]string{
		"ENABLED":                        "true",
		"API_PROVIDER":                   "ARTIFACT_REPOSITORY_API",
		"API_ALLOWED_PREFIXES":           "https://pypi.corp.example.com",
		"ALLOWED_AUTHENTICATION_SECRETS": "PLATFORM.PACKAGES.CORP_PYPI_SECRET",
		"USE_PRIVATELINK_ENDPOINT":       "true",
	}
}

// parameters returns the row of SHOW PARAMETERS IN a level: the value of
// defaultLevel when the level is defaultLevel or inherits from it, and an
// unset value otherwise.
func (c *readOnlyConn) parameters(stmt string) []snowflake.Row {
	rank := map[string]int{"ACCOUNT": 0, "DATABASE": 1, "SCHEMA": 2}
	in := strings.Fields(stmt[strings.LastIndex(stmt, " IN ")+len(" IN "):])[0]
	value, level := c.defaultRepo, c.defaultLevel
	if rank[c.defaultLevel] > rank[in] {
		value, level = "", ""
	}
	return []snowflake.Row{{"key": "DEFAULT_PYTHON_ARTIFACT_REPOSITORY", "value": value, "level": level}}
}

// grants returns the rows of SHOW GRANTS ON, and fails like Snowflake on
// an integration or repository that does not exist.
func (c *readOnlyConn) grants(stmt string) ([]snowflake.Row, error) {
	for kind, show := range map[string]string{"INTEGRATION": "API INTEGRATIONS", "ARTIFACT REPOSITORY": "ARTIFACT REPOSITORIES"} {
		if strings.HasPrefix(stmt, "SHOW GRANTS ON "+kind+" ") && c.objects[show] == nil {
			c.t.Errorf("plan ran %q on an object that does not exist", stmt)
			return nil, errors.New("002003 (02000): object does not exist")
		}
	}
	rows := []snowflake.Row{{"privilege": "OWNERSHIP", "granted_to": "ROLE", "grantee_name": "ACCOUNTADMIN", "granted_by": "ACCOUNTADMIN"}}
	for _, role := range c.grantees {
		for _, privilege := range []string{"USAGE", "READ"} {
			rows = append(rows, snowflake.Row{"privilege": privilege, "granted_to": "ROLE", "grantee_name": role, "granted_by": "ACCOUNTADMIN"})
		}
	}
	return rows, nil
}

// showRoles returns the rows of SHOW ROLES LIKE for a pattern without
// wildcards: the roles whose names equal the pattern in any case.
func (c *readOnlyConn) showRoles(stmt string) []snowflake.Row {
	roles := c.roles
	if roles == nil {
		roles = []string{"DATA_SCIENCE", "ANALYST"}
	}
	pattern := strings.TrimSuffix(strings.TrimPrefix(stmt, "SHOW ROLES LIKE '"), "'")
	pattern = strings.ReplaceAll(strings.ReplaceAll(pattern, `\\_`, "_"), "''", "'")
	var rows []snowflake.Row
	for _, role := range roles {
		if strings.EqualFold(role, pattern) {
			rows = append(rows, snowflake.Row{"name": role})
		}
	}
	return rows
}

// ownRow returns the SHOW row of an object that repolink created for
// DATA-4711.
func ownRow(name string) snowflake.Row {
	return snowflake.Row{"name": name, "comment": "repolink request DATA-4711"}
}

// repositoryRow returns the SHOW row of the repository CORP_PYPI with
// comment, reading through integration.
func repositoryRow(comment, integration string) snowflake.Row {
	return snowflake.Row{"name": "CORP_PYPI", "type": "PYPI", "api_integration": integration, "comment": comment}
}

const snowflakePrincipal = "arn:aws:iam::123456789012:root"

// settledWorld returns the network and Snowflake that a succeeded run of
// the example request leaves behind.
func settledWorld(t *testing.T) (*readOnlyNetwork, *readOnlyConn) {
	network := &readOnlyNetwork{
		t:        t,
		instance: &cloud.Instance{ID: "i-0123", State: "running"},
		tg:       &cloud.TargetGroup{ARN: "arn:tg", Tags: map[string]string{cloud.TagTarget: "i-0123:443"}},
		lb: &cloud.LoadBalancer{ARN: "arn:lb", State: "active", Zones: []string{"us-west-2a", "us-west-2b"},
			SubnetIDs: []string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"}},
		listener:   &cloud.Listener{ARN: "arn:listener"},
		svc:        &cloud.EndpointService{ID: "vpce-svc-1", Name: "com.amazonaws.vpce.us-west-2.vpce-svc-1"},
		conns:      []cloud.EndpointConnection{{EndpointID: "vpce-1", State: "available"}},
		health:     []cloud.TargetHealth{{ID: "i-0123", Port: 443, State: "healthy"}},
		attrs:      map[string]string{"load_balancing.cross_zone.enabled": "true"},
		principals: []string{snowflakePrincipal},
	}
	conn := &readOnlyConn{
		t: t,
		objects: map[string]snowflake.Row{
			"SECRETS":               ownRow("CORP_PYPI_SECRET"),
			"API INTEGRATIONS":      ownRow("CORP_PYPI_INTEGRATION"),
			"ARTIFACT REPOSITORIES": repositoryRow("repolink request DATA-4711", "CORP_PYPI_INTEGRATION"),
		},
		endpoints:    `[{"provider_service_name": "com.amazonaws.vpce.us-west-2.vpce-svc-1", "endpoint_state": "CREATED", "status": "Available", "host": "pypi.corp.example.com"}]`,
		principal:    snowflakePrincipal,
		defaultRepo:  "PLATFORM.PACKAGES.CORP_PYPI",
		defaultLevel: "SCHEMA",
		grantees:     []string{"DATA_SCIENCE"},
	}
	return network, conn
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
	conn := &readOnlyConn{t: t, objects: map[string]snowflake.Row{"SECRETS": nil, "API INTEGRATIONS": nil, "ARTIFACT REPOSITORIES": nil},
		endpoints: "[]", principal: snowflakePrincipal}

	got := states(Plan(context.Background(), env(network, conn, nil), req))

	want := map[string]string{
		"proxy_vm/EC2 instance":                      Create,
		"target_group/target group":                  Create,
		"load_balancer/network load balancer":        Create,
		"load_balancer/listener":                     Create,
		"load_balancer/availability zones":           Run,
		"endpoint_service/VPC endpoint service":      Create,
		"connection/endpoint connection":             Create,
		"endpoint/Snowflake private endpoint":        Create,
		"secret/SECRET":                              Create,
		"integration/API INTEGRATION":                Create,
		"repository/ARTIFACT REPOSITORY":             Create,
		"default/DEFAULT_PYTHON_ARTIFACT_REPOSITORY": Update,
		"grants/grants":                              Create,
		"verification/temporary function":            Run,
		"verification/warehouse":                     Unchecked,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

func TestPlanEverythingExists(t *testing.T) {
	req := exampleRequest(t)
	network, conn := settledWorld(t)

	report := Plan(context.Background(), env(network, conn, nil), req)

	if n := report.Count(Create); n != 0 {
		t.Errorf("%d items would be created, want 0: %+v", n, report.Items)
	}
	if n := report.Count(Adopt); n != 10 {
		t.Errorf("%d items would be adopted, want 10: %+v", n, report.Items)
	}
	// The warehouse is the one item that plan does not look up, and it is
	// counted apart from failed lookups.
	wantSummary := Summary{Create: 0, Update: 2, Adopt: 10, Conflict: 0, Unknown: 0, Unchecked: 1}
	if diff := cmp.Diff(wantSummary, report.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if got := states(report)["secret/SECRET"]; got != Update {
		t.Errorf("secret state = %q, want %q, because every run sets its credential again", got, Update)
	}
	if got := states(report)["repository/ARTIFACT REPOSITORY"]; got != Update {
		t.Errorf("repository state = %q, want %q, because every run sets its INDEX_URL again", got, Update)
	}
	if n := report.Count(Update); n != 2 {
		t.Errorf("%d items would be updated, want 2 (the secret and the repository): %+v", n, report.Items)
	}
	for _, it := range report.Items {
		if (it.State == Adopt || it.State == Update) && it.ID == "" {
			t.Errorf("existing %s %s has no ID", it.Step, it.Kind)
		}
	}
}

// TestPlanOtherRequestsObjects gives each Snowflake object that a run
// creates the owner COMMENT of another request, and checks that plan reports
// a conflict with preflight's reason and counts it as one.
func TestPlanOtherRequestsObjects(t *testing.T) {
	tests := []struct {
		step, show, name, noun string
		// displayName is the name in the message: the qualified name of a
		// schema object.
		displayName string
	}{
		{"secret", "SECRETS", "CORP_PYPI_SECRET", "secret", "PLATFORM.PACKAGES.CORP_PYPI_SECRET"},
		{"integration", "API INTEGRATIONS", "CORP_PYPI_INTEGRATION", "API integration", "CORP_PYPI_INTEGRATION"},
		{"repository", "ARTIFACT REPOSITORIES", "CORP_PYPI", "artifact repository", "PLATFORM.PACKAGES.CORP_PYPI"},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			req := exampleRequest(t)
			network, conn := settledWorld(t)
			conn.objects[tt.show] = snowflake.Row{"name": tt.name, "comment": "repolink request DATA-9"}

			report := Plan(context.Background(), env(network, conn, nil), req)

			it := item(t, report, tt.step)
			if it.State != Conflict {
				t.Errorf("state = %q, want %q", it.State, Conflict)
			}
			want := "the run will stop in preflight, because " + tt.noun + " " + tt.displayName + " was created for request DATA-9, not DATA-4711"
			if !strings.Contains(it.Detail, want) {
				t.Errorf("detail = %q, want it to contain %q", it.Detail, want)
			}
			if n := report.Count(Conflict); n != 1 {
				t.Errorf("Count(Conflict) = %d, want 1", n)
			}
		})
	}
}

// TestPlanEndpointCapacityFull fills the account with other services'
// private endpoints before the request has its own, which preflight rejects.
func TestPlanEndpointCapacityFull(t *testing.T) {
	req := exampleRequest(t)
	network := &readOnlyNetwork{t: t}
	var infos []string
	for i := range 5 {
		infos = append(infos, fmt.Sprintf(`{"provider_service_name": "com.amazonaws.vpce.us-west-2.vpce-svc-other%d", "endpoint_state": "CREATED", "status": "Available", "host": "other%d.example.com"}`, i, i))
	}
	conn := &readOnlyConn{t: t, objects: map[string]snowflake.Row{"SECRETS": nil, "API INTEGRATIONS": nil, "ARTIFACT REPOSITORIES": nil},
		endpoints: "[" + strings.Join(infos, ",") + "]", principal: snowflakePrincipal}

	report := Plan(context.Background(), env(network, conn, nil), req)

	it := item(t, report, "endpoint")
	if it.State != Conflict {
		t.Errorf("state = %q, want %q", it.State, Conflict)
	}
	if want := "the run will stop in preflight, because account myorg-analytics has 5 private endpoints"; !strings.Contains(it.Detail, want) {
		t.Errorf("detail = %q, want it to contain %q", it.Detail, want)
	}
	if want := "SYSTEM$DEPROVISION_PRIVATELINK_ENDPOINT and run the request 7 days later"; !strings.Contains(it.Detail, want) {
		t.Errorf("detail = %q, want it to contain %q", it.Detail, want)
	}
	// A plan has no run to redrive.
	if strings.Contains(it.Detail, "redrive") {
		t.Errorf("detail = %q, want no advice to redrive", it.Detail)
	}
}

// TestPlanEndpointReservedByOther leaves one place free in the account
// and lets another request's run hold it, which preflight rejects.
func TestPlanEndpointReservedByOther(t *testing.T) {
	req := exampleRequest(t)
	var infos, services []string
	for i := range 4 {
		service := fmt.Sprintf("com.amazonaws.vpce.us-west-2.vpce-svc-other%d", i)
		services = append(services, service)
		infos = append(infos, fmt.Sprintf(`{"provider_service_name": %q, "endpoint_state": "CREATED", "status": "Available", "host": "other%d.example.com"}`, service, i))
	}
	conn := &readOnlyConn{t: t, objects: map[string]snowflake.Row{"SECRETS": nil, "API INTEGRATIONS": nil, "ARTIFACT REPOSITORIES": nil},
		endpoints: "[" + strings.Join(infos, ",") + "]", principal: snowflakePrincipal}
	store, err := reservations.Open(filepath.Join(t.TempDir(), "reservations.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	held, err := store.Reserve(context.Background(), workflow.EndpointReservation{
		Account: req.Snowflake.Account, RequestID: "DATA-9000", Execution: "DATA-9000",
		Listed: services, Limit: 5, Now: now,
	})
	if err != nil || !held.Reserved {
		t.Fatalf("reserve for DATA-9000 = %+v, %v", held, err)
	}
	e := env(&readOnlyNetwork{t: t}, conn, nil)
	e.EndpointReservations = store
	e.Now = func() time.Time { return now.Add(time.Minute) }

	report := Plan(context.Background(), e, req)

	it := item(t, report, "endpoint")
	if it.State != Conflict {
		t.Errorf("state = %q, want %q (detail %q)", it.State, Conflict, it.Detail)
	}
	if want := "the remaining place is reserved by the run of DATA-9000"; !strings.Contains(it.Detail, want) {
		t.Errorf("detail = %q, want it to contain %q", it.Detail, want)
	}
	if want := "; run the request when one of those runs has closed without an endpoint, or deprovision"; !strings.Contains(it.Detail, want) {
		t.Errorf("detail = %q, want it to contain %q", it.Detail, want)
	}
	if strings.Contains(it.Detail, "redrive") {
		t.Errorf("detail = %q, want no advice to redrive", it.Detail)
	}
	// Plan holds no place, so the place stays DATA-9000's alone.
	again, err := store.Check(context.Background(), workflow.EndpointReservation{
		Account: req.Snowflake.Account, RequestID: req.ID, Listed: services, Limit: 5, Now: now.Add(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	if again.Reserved {
		t.Errorf("plan reserved a place for %s: %+v", req.ID, again)
	}
}

// TestPlanChangesInPlace changes one thing of the settled world at a time
// and checks that plan reports the step that a run would change it in.
func TestPlanChangesInPlace(t *testing.T) {
	tests := []struct {
		name   string
		change func(*readOnlyNetwork, *readOnlyConn)
		step   string
		state  string
	}{
		{"proxy not registered", func(n *readOnlyNetwork, _ *readOnlyConn) { n.health = nil }, "target_group", Update},
		{"proxy to launch", func(n *readOnlyNetwork, _ *readOnlyConn) { n.instance = nil }, "target_group", Update},
		{"earlier proxy still registered", func(n *readOnlyNetwork, _ *readOnlyConn) {
			n.tg.Tags[cloud.TagTarget] = "i-0old:443"
			n.health = append(n.health, cloud.TargetHealth{ID: "i-0old", Port: 443, State: "healthy"})
		}, "target_group", Update},
		{"target group without a record", func(n *readOnlyNetwork, _ *readOnlyConn) {
			delete(n.tg.Tags, cloud.TagTarget)
			n.health = append(n.health, cloud.TargetHealth{ID: "i-0old", Port: 443, State: "healthy"})
		}, "target_group", Conflict},
		{"target group of IP targets for the proxy", func(n *readOnlyNetwork, _ *readOnlyConn) { n.tg.TargetType = "ip" }, "target_group", Conflict},
		{"proxy forwards to another upstream", func(n *readOnlyNetwork, _ *readOnlyConn) {
			n.instance.Tags = map[string]string{"repolink:upstream": "pypi-old.corp.example.com:443"}
		}, "proxy_vm", Conflict},
		{"target registered by someone else", func(n *readOnlyNetwork, _ *readOnlyConn) {
			n.health = append(n.health, cloud.TargetHealth{ID: "i-0other", Port: 443, State: "healthy"})
		}, "target_group", Adopt},
		{"cross-zone off", func(n *readOnlyNetwork, _ *readOnlyConn) { n.attrs = map[string]string{} }, "load_balancer", Update},
		{"principal not allowed", func(n *readOnlyNetwork, _ *readOnlyConn) { n.principals = nil }, "endpoint_service", Update},
		{"connection pending acceptance", func(n *readOnlyNetwork, _ *readOnlyConn) { n.conns[0].State = "pendingAcceptance" }, "connection", Update},
		{"endpoint pending deletion", func(_ *readOnlyNetwork, c *readOnlyConn) {
			c.endpoints = strings.Replace(c.endpoints, "CREATED", "PENDING_DELETION", 1)
		}, "endpoint", Update},
		{"endpoint deleting", func(_ *readOnlyNetwork, c *readOnlyConn) {
			c.endpoints = strings.Replace(c.endpoints, "CREATED", "DELETING", 1)
		}, "endpoint", Create},
		{"default names another repository", func(_ *readOnlyNetwork, c *readOnlyConn) { c.defaultRepo = "PLATFORM.PACKAGES.OTHER" }, "default", Update},
		{"default set on another level", func(_ *readOnlyNetwork, c *readOnlyConn) { c.defaultLevel = "DATABASE" }, "default", Update},
		{"role lacks grants", func(_ *readOnlyNetwork, c *readOnlyConn) { c.grantees = nil }, "grants", Create},
		{"role no longer listed", func(_ *readOnlyNetwork, c *readOnlyConn) { c.grantees = []string{"DATA_SCIENCE", "ANALYST"} }, "grants", Update},
		{"repository to create", func(_ *readOnlyNetwork, c *readOnlyConn) { c.objects["ARTIFACT REPOSITORIES"] = nil }, "grants", Create},
		{"role missing", func(_ *readOnlyNetwork, c *readOnlyConn) { c.roles = []string{"ANALYST"} }, "grants", Conflict},
		{"role only in another case", func(_ *readOnlyNetwork, c *readOnlyConn) { c.roles = []string{"Data_Science"} }, "grants", Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := exampleRequest(t)
			network, conn := settledWorld(t)
			tt.change(network, conn)

			report := Plan(context.Background(), env(network, conn, nil), req)

			if it := item(t, report, tt.step); it.State != tt.state {
				t.Errorf("%s state = %q (%s), want %q", tt.step, it.State, it.Detail, tt.state)
			}
		})
	}
}

func TestPlanAvailabilityZones(t *testing.T) {
	threeZones := []cloud.AvailabilityZone{{Name: "us-west-2a", ID: "usw2-az1"}, {Name: "us-west-2b", ID: "usw2-az2"}, {Name: "us-west-2c", ID: "usw2-az3"}}

	t.Run("zone without a subnet", func(t *testing.T) {
		network, conn := settledWorld(t)
		network.zones = threeZones
		network.svc = nil
		report := Plan(context.Background(), env(network, conn, nil), exampleRequest(t))
		it := kindItem(t, report, "availability zones")
		if it.State != Conflict {
			t.Errorf("state = %q (%s), want %q", it.State, it.Detail, Conflict)
		}
		for _, want := range []string{"usw2-az3", "aws.subnet_ids", "subnet-0a1b2c3d4e5f60003"} {
			if !strings.Contains(it.Detail, want) {
				t.Errorf("detail %q does not contain %q", it.Detail, want)
			}
		}
		if !it.InvalidRequest {
			t.Error("InvalidRequest = false, want true")
		}
	})

	t.Run("two subnets in one zone", func(t *testing.T) {
		network, conn := settledWorld(t)
		network.lb, network.svc = nil, nil
		req := exampleRequest(t)
		// The fake network puts a subnet whose ID ends in 1 in usw2-az1.
		req.AWS.SubnetIDs = append(req.AWS.SubnetIDs, "subnet-0a1b2c3d4e5f60011")
		report := Plan(context.Background(), env(network, conn, nil), req)
		it := kindItem(t, report, "availability zones")
		if it.State != Conflict {
			t.Errorf("state = %q (%s), want %q", it.State, it.Detail, Conflict)
		}
		for _, want := range []string{"aws.subnet_ids", "usw2-az1 (us-west-2a) has subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60011", "one subnet of each zone"} {
			if !strings.Contains(it.Detail, want) {
				t.Errorf("detail %q does not contain %q", it.Detail, want)
			}
		}
		if !it.InvalidRequest || !report.RequestAtFault() {
			t.Errorf("InvalidRequest = %t, RequestAtFault = %t, want both true", it.InvalidRequest, report.RequestAtFault())
		}
		if strings.Contains(it.Detail, "usw2-az2") {
			t.Errorf("detail %q names usw2-az2, which has one subnet", it.Detail)
		}
	})

	t.Run("load balancer lacks a zone", func(t *testing.T) {
		network, conn := settledWorld(t)
		network.lb.Zones, network.lb.SubnetIDs = network.lb.Zones[:1], network.lb.SubnetIDs[:1]
		network.svc.Zones = []string{"us-west-2a"}
		report := Plan(context.Background(), env(network, conn, nil), exampleRequest(t))
		if it := kindItem(t, report, "network load balancer"); it.State != Update || !strings.Contains(it.Detail, "subnet-0a1b2c3d4e5f60002") {
			t.Errorf("load balancer = %q (%s), want %q naming the added subnet", it.State, it.Detail, Update)
		}
		if it := kindItem(t, report, "VPC endpoint service"); it.State != Conflict || !strings.Contains(it.Detail, "us-west-2b") {
			t.Errorf("endpoint service = %q (%s), want %q naming us-west-2b", it.State, it.Detail, Conflict)
		}
	})
}

// kindItem returns the first item of kind.
func kindItem(t *testing.T, r Report, kind string) Item {
	t.Helper()
	for _, it := range r.Items {
		if it.Kind == kind {
			return it
		}
	}
	t.Fatalf("plan has no %s item: %+v", kind, r.Items)
	return Item{}
}

// item returns the first item of step.
func item(t *testing.T, r Report, step string) Item {
	t.Helper()
	for _, it := range r.Items {
		if it.Step == step {
			return it
		}
	}
	t.Fatalf("plan has no %s item: %+v", step, r.Items)
	return Item{}
}

func TestPlanSnowflakeLoginFails(t *testing.T) {
	req := exampleRequest(t)
	network, conn := settledWorld(t)
	loggedIn := Plan(context.Background(), env(network, conn, nil), req)
	loginErr := errors.New("390144 JWT token is invalid")

	report := Plan(context.Background(), env(network, nil, loginErr), req)

	steps := func(r Report) []string {
		var out []string
		for _, it := range r.Items {
			out = append(out, it.Step+"/"+it.Kind)
		}
		return out
	}
	if diff := cmp.Diff(steps(loggedIn), steps(report)); diff != "" {
		t.Errorf("items without a Snowflake login (-logged in +login failed):\n%s", diff)
	}
	snowflakeSteps := []string{"endpoint", "secret", "integration", "repository", "default", "grants", "verification"}
	for _, step := range snowflakeSteps {
		it := item(t, report, step)
		if it.State != Unknown {
			t.Errorf("%s state = %q, want %q", step, it.State, Unknown)
		}
		if !strings.Contains(it.Detail, "log in to Snowflake: "+loginErr.Error()) {
			t.Errorf("%s detail = %q, want the login error", step, it.Detail)
		}
	}
	// The warehouse, the second item of the verification step, is
	// unchecked with or without a login.
	if got := report.Summary.Unknown; got != len(snowflakeSteps) {
		t.Errorf("summary unknown = %d, want %d: %+v", got, len(snowflakeSteps), report.Items)
	}
	if got := report.Summary.Unchecked; got != 1 {
		t.Errorf("summary unchecked = %d, want 1: %+v", got, report.Items)
	}
	if got := item(t, report, "grants").Name; got != item(t, loggedIn, "grants").Name {
		t.Errorf("grants name = %q, want the roles %q", got, item(t, loggedIn, "grants").Name)
	}
}

func TestPlanDefaultNoneUnsets(t *testing.T) {
	req := exampleRequest(t)
	req.Repository.DefaultFor = "none"
	network, conn := settledWorld(t)

	report := Plan(context.Background(), env(network, conn, nil), req)

	it := item(t, report, "default")
	if it.State != Update {
		t.Errorf("default state = %q (%s), want update", it.State, it.Detail)
	}
	if !strings.Contains(it.Detail, "unsets it on the schema") {
		t.Errorf("default detail = %q, want it to name the schema", it.Detail)
	}
}

// TestPlanDefaultKeptForAdoptedRepository lets a person's repository carry
// the request's name with the schema default naming it. A run with
// default_for none leaves that default alone, and plan reports that.
func TestPlanDefaultKeptForAdoptedRepository(t *testing.T) {
	req := exampleRequest(t)
	req.Repository.DefaultFor = "none"
	network, conn := settledWorld(t)
	conn.objects["ARTIFACT REPOSITORIES"] = repositoryRow("", "CORP_PYPI_INTEGRATION")

	report := Plan(context.Background(), env(network, conn, nil), req)

	it := item(t, report, "default")
	if it.State != Skip {
		t.Errorf("default state = %q (%s), want skip", it.State, it.Detail)
	}
	want := "the run keeps it on the schema, where it names a repository not created by repolink"
	if !strings.Contains(it.Detail, want) {
		t.Errorf("default detail = %q, want it to contain %q", it.Detail, want)
	}
}

// TestPlanDefaultRecordedForAdoptedRepository is
// TestPlanDefaultKeptForAdoptedRepository with the schema default recorded
// as set by a run of the request. Plan reports that the run unsets it.
func TestPlanDefaultRecordedForAdoptedRepository(t *testing.T) {
	req := exampleRequest(t)
	req.Repository.DefaultFor = "database"
	network, conn := settledWorld(t)
	conn.objects["ARTIFACT REPOSITORIES"] = repositoryRow("", "CORP_PYPI_INTEGRATION")
	e := env(network, conn, nil)
	defaults := &sfsandbox.Defaults{}
	e.Defaults = defaults
	err := defaults.Put(context.Background(), workflow.DefaultSetting{
		Account: req.Snowflake.Account, Request: req.ID, Level: "schema",
		Database: "PLATFORM", Schema: "PACKAGES",
		Target: "SCHEMA PLATFORM.PACKAGES", Repository: "PLATFORM.PACKAGES.CORP_PYPI",
	})
	if err != nil {
		t.Fatal(err)
	}

	report := Plan(context.Background(), e, req)

	it := item(t, report, "default")
	if it.State != Update {
		t.Errorf("default state = %q (%s), want update", it.State, it.Detail)
	}
	if want := "unsets it on the schema"; !strings.Contains(it.Detail, want) {
		t.Errorf("default detail = %q, want it to contain %q", it.Detail, want)
	}
	if strings.Contains(it.Detail, "keeps") {
		t.Errorf("default detail = %q, want nothing kept", it.Detail)
	}
}

// TestPlanDefaultLevelOfOtherRequest plans a request whose default_for
// names the schema, which a run of another request set to that request's
// repository. Plan reports the conflict with which preflight stops the run.
func TestPlanDefaultLevelOfOtherRequest(t *testing.T) {
	const other = "PLATFORM.PACKAGES.OTHER_PYPI"
	req := exampleRequest(t)
	req.Repository.DefaultFor = "schema"
	network, conn := settledWorld(t)
	conn.defaultRepo = other
	e := env(network, conn, nil)
	defaults := &sfsandbox.Defaults{}
	e.Defaults = defaults
	err := defaults.Put(context.Background(), workflow.DefaultSetting{
		Account: req.Snowflake.Account, Request: "DATA-4799", Level: "schema",
		Database: "PLATFORM", Schema: "PACKAGES",
		Target: "SCHEMA PLATFORM.PACKAGES", Repository: other,
	})
	if err != nil {
		t.Fatal(err)
	}

	report := Plan(context.Background(), e, req)

	it := item(t, report, "default")
	if it.State != Conflict {
		t.Errorf("default state = %q (%s), want conflict", it.State, it.Detail)
	}
	for _, want := range []string{"names " + other, "request DATA-4799", "repository.default_for"} {
		if !strings.Contains(it.Detail, want) {
			t.Errorf("default detail = %q, want it to contain %q", it.Detail, want)
		}
	}
}

// TestPlanExistingObjectByOwner lets each Snowflake object of the request
// exist already, owned by this request, another one or nobody, and checks
// the state and detail that plan reports for it. The integration rows give
// it another index host and the repository rows another integration.
func TestPlanExistingObjectByOwner(t *testing.T) {
	secret := func(comment string) func(*readOnlyConn) {
		return func(c *readOnlyConn) {
			c.objects["SECRETS"] = snowflake.Row{"name": "CORP_PYPI_SECRET", "comment": comment}
		}
	}
	integration := func(comment string) func(*readOnlyConn) {
		return func(c *readOnlyConn) {
			c.objects["API INTEGRATIONS"] = snowflake.Row{"name": "CORP_PYPI_INTEGRATION", "comment": comment}
			c.integration = exampleIntegration()
			c.integration["API_ALLOWED_PREFIXES"] = "https://pypi.other.example"
		}
	}
	repository := func(comment string) func(*readOnlyConn) {
		return func(c *readOnlyConn) {
			c.objects["ARTIFACT REPOSITORIES"] = repositoryRow(comment, "OTHER_INT")
		}
	}
	tests := []struct {
		name   string
		step   string
		change func(*readOnlyConn)
		state  string
		detail string
	}{
		{"own secret", "secret", secret("repolink request DATA-4711"), Update, "sets the credential again"},
		{"secret made by hand", "secret", secret(""), Adopt, "made by hand"},
		{"secret of other request", "secret", secret("repolink request DATA-9"), Conflict, "stop in preflight"},
		{"integration made by hand", "integration", integration(""), Conflict, "stop in preflight, because API integration CORP_PYPI_INTEGRATION exists and differs from the request: API_ALLOWED_PREFIXES is (https://pypi.other.example), the request expects (https://pypi.corp.example.com)"},
		{"own integration", "integration", integration("repolink request DATA-4711"), Update, "the run alters it, because API_ALLOWED_PREFIXES is (https://pypi.other.example)"},
		{"repository made by hand", "repository", repository(""), Conflict, "stop in preflight, because artifact repository PLATFORM.PACKAGES.CORP_PYPI exists and differs from the request: API_INTEGRATION is OTHER_INT, the request expects CORP_PYPI_INTEGRATION"},
		{"own repository", "repository", repository("repolink request DATA-4711"), Update, "the run replaces it, because API_INTEGRATION is OTHER_INT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := exampleRequest(t)
			network, conn := settledWorld(t)
			tt.change(conn)

			report := Plan(context.Background(), env(network, conn, nil), req)

			it := item(t, report, tt.step)
			if it.State != tt.state {
				t.Errorf("state = %q, want %q", it.State, tt.state)
			}
			if !strings.Contains(it.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", it.Detail, tt.detail)
			}
		})
	}
}

// TestPlanDriftConflictAsPreflight lets the integration and the repository
// exist, made by hand with other settings, and checks that plan's detail
// carries the error with which preflight's CheckDrift stops the run.
func TestPlanDriftConflictAsPreflight(t *testing.T) {
	tests := []struct {
		step   string
		change func(*readOnlyConn)
		name   string
	}{
		{"integration", func(c *readOnlyConn) {
			c.objects["API INTEGRATIONS"] = snowflake.Row{"name": "CORP_PYPI_INTEGRATION"}
			c.integration = exampleIntegration()
			c.integration["ENABLED"] = "false"
		}, "API integration CORP_PYPI_INTEGRATION exists"},
		{"repository", func(c *readOnlyConn) {
			c.objects["ARTIFACT REPOSITORIES"] = repositoryRow("", "OTHER_INT")
		}, "artifact repository PLATFORM.PACKAGES.CORP_PYPI exists"},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			req := exampleRequest(t)
			network, conn := settledWorld(t)
			tt.change(conn)

			report := Plan(context.Background(), env(network, conn, nil), req)

			var obj sfobject.Object
			for _, o := range sfobject.Objects(req) {
				if o.Step == tt.step {
					obj = o
				}
			}
			row, err := obj.Find(t.Context(), conn)
			if err != nil {
				t.Fatal(err)
			}
			preflightErr := obj.CheckDrift(t.Context(), conn, row, req)
			if preflightErr == nil {
				t.Fatal("CheckDrift returned no error, want a Conflict")
			}
			if !strings.Contains(preflightErr.Error(), tt.name) {
				t.Errorf("preflight error = %q, want it to contain %q", preflightErr, tt.name)
			}
			it := item(t, report, tt.step)
			if want := "the run will stop in preflight, because " + preflightErr.Error(); it.Detail != want {
				t.Errorf("detail = %q, want %q", it.Detail, want)
			}
		})
	}
}

// The provision state machine runs EndpointService, then the Snowflake
// Endpoint, then Connection, so the items list them in that order, with
// and without a Snowflake login.
func TestPlanItemsInRunOrder(t *testing.T) {
	req := exampleRequest(t)
	settledNetwork, settledConn := settledWorld(t)
	emptyConn := &readOnlyConn{t: t, objects: map[string]snowflake.Row{"SECRETS": nil, "API INTEGRATIONS": nil, "ARTIFACT REPOSITORIES": nil},
		endpoints: "[]", principal: snowflakePrincipal}
	want := []string{"proxy_vm", "target_group", "load_balancer", "endpoint_service", "endpoint", "connection",
		"secret", "integration", "repository", "default", "grants", "verification"}

	tests := []struct {
		name string
		env  *workflow.Env
	}{
		{"nothing exists", env(&readOnlyNetwork{t: t}, emptyConn, nil)},
		{"everything exists", env(settledNetwork, settledConn, nil)},
		{"login fails", env(settledNetwork, nil, errors.New("390144 JWT token is invalid"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, it := range Plan(context.Background(), tt.env, req).Items {
				if len(got) == 0 || got[len(got)-1] != it.Step {
					got = append(got, it.Step)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanWarehouseUnchecked(t *testing.T) {
	tests := []struct {
		name, warehouse, wantName, wantDetail string
	}{
		{"named", "repolink_wh", "REPOLINK_WH", "whether the role can use it is not checked"},
		{"user default", "", "default of user REPOLINK_SVC", "the request sets no $.snowflake.warehouse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := exampleRequest(t)
			req.Snowflake.Warehouse = tt.warehouse
			network, conn := settledWorld(t)

			report := Plan(context.Background(), env(network, conn, nil), req)

			var warehouse *Item
			for i, it := range report.Items {
				if it.Step == "verification" && it.Kind == "warehouse" {
					warehouse = &report.Items[i]
				}
			}
			if warehouse == nil {
				t.Fatalf("plan has no warehouse item: %+v", report.Items)
			}
			if warehouse.State != Unchecked {
				t.Errorf("warehouse state = %q, want %q", warehouse.State, Unchecked)
			}
			if warehouse.Name != tt.wantName {
				t.Errorf("warehouse name = %q, want %q", warehouse.Name, tt.wantName)
			}
			if !strings.Contains(warehouse.Detail, tt.wantDetail) {
				t.Errorf("warehouse detail = %q, want it to contain %q", warehouse.Detail, tt.wantDetail)
			}
			if report.Summary.Unchecked != 1 {
				t.Errorf("summary unchecked = %d, want 1 for the warehouse", report.Summary.Unchecked)
			}
			if report.Summary.Unknown != 0 {
				t.Errorf("summary unknown = %d, want 0: %+v", report.Summary.Unknown, report.Items)
			}
		})
	}
}
