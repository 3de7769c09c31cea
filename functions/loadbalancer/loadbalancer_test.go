package loadbalancer

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// network is a fake of an existing load balancer, its attributes and its
// listener, with one healthy target, in a region whose subnets are in the
// zones that subnetZones lists.
type network struct {
	cloud.AWSNetwork
	lb       *cloud.LoadBalancer
	attrs    map[string]string
	listener *cloud.Listener
	// setSubnets records the subnet lists of SetLoadBalancerSubnets.
	setSubnets [][]string
	// zones are the region's zones. Nil means us-west-2a and us-west-2b.
	zones []cloud.AvailabilityZone
	// created counts CreateLoadBalancer calls.
	created int
	// svc is the request's endpoint service, or nil before it exists.
	svc *cloud.EndpointService
}

func (n *network) FindEndpointService(context.Context, string) (*cloud.EndpointService, error) {
	return n.svc, nil
}

// zoneIDs maps the zone names of the fake region to their IDs.
var zoneIDs = map[string]string{"us-west-2a": "usw2-az1", "us-west-2b": "usw2-az2", "us-west-2c": "usw2-az3"}

func (n *network) AvailabilityZones(context.Context) ([]cloud.AvailabilityZone, error) {
	if n.zones == nil {
		return []cloud.AvailabilityZone{{Name: "us-west-2a", ID: "usw2-az1"}, {Name: "us-west-2b", ID: "usw2-az2"}}, nil
	}
	return n.zones, nil
}

func (n *network) VPCSubnets(context.Context, string) ([]cloud.Subnet, error) {
	return n.Subnets(context.Background(), []string{"subnet-01", "subnet-02", "subnet-03", "subnet-0a2"})
}

func (n *network) CreateLoadBalancer(context.Context, cloud.LoadBalancerSpec) (cloud.LoadBalancer, error) {
	n.created++
	return *activeLB(), nil
}

// subnetZones maps the subnets of the fake region to their zones.
var subnetZones = map[string]string{
	"subnet-01": "us-west-2a", "subnet-02": "us-west-2b", "subnet-03": "us-west-2c", "subnet-0a2": "us-west-2a",
}

// activeLB returns an active internal load balancer in subnet-01 and
// subnet-02.
func activeLB() *cloud.LoadBalancer {
	return &cloud.LoadBalancer{ARN: "arn:lb", Name: "repolink-data-4722", Scheme: "internal", State: "active",
		Zones: []string{"us-west-2a", "us-west-2b"}, SubnetIDs: []string{"subnet-01", "subnet-02"}}
}

func (n *network) Subnets(_ context.Context, ids []string) ([]cloud.Subnet, error) {
	var out []cloud.Subnet
	for _, id := range ids {
		if zone, ok := subnetZones[id]; ok {
			out = append(out, cloud.Subnet{ID: id, VPCID: "vpc-0abc", ZoneName: zone, ZoneID: zoneIDs[zone]})
		}
	}
	return out, nil
}

func (n *network) SetLoadBalancerSubnets(_ context.Context, _ string, ids []string) error {
	n.setSubnets = append(n.setSubnets, ids)
	lb := *n.lb
	lb.SubnetIDs, lb.Zones = nil, nil
	for _, id := range ids {
		lb.SubnetIDs = append(lb.SubnetIDs, id)
		lb.Zones = append(lb.Zones, subnetZones[id])
	}
	n.lb = &lb
	return nil
}

func (n *network) FindLoadBalancer(context.Context, string) (*cloud.LoadBalancer, error) {
	return n.lb, nil
}

func (n *network) LoadBalancerAttributes(context.Context, string) (map[string]string, error) {
	return n.attrs, nil
}

func (n *network) SetLoadBalancerAttributes(_ context.Context, _ string, attrs map[string]string) error {
	for key, value := range attrs {
		n.attrs[key] = value
	}
	return nil
}

func (n *network) FindListener(context.Context, string, int) (*cloud.Listener, error) {
	return n.listener, nil
}

func (n *network) TargetHealth(context.Context, string) ([]cloud.TargetHealth, error) {
	return []cloud.TargetHealth{{ID: "i-0abc", Port: 443, State: "healthy"}}, nil
}

func withGroups(lb *cloud.LoadBalancer, groups []string) *cloud.LoadBalancer {
	lb.SecurityGroups = groups
	return lb
}

func runWith(t *testing.T, n *network, subnetIDs ...string) (Output, error) {
	t.Helper()
	if len(subnetIDs) == 0 {
		subnetIDs = []string{"subnet-01", "subnet-02"}
	}
	env := &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return n, nil }}
	aws := request.AWS{Region: "us-west-2", VPCID: "vpc-0abc", SubnetIDs: subnetIDs,
		Proxy: "nginx", Upstream: "pypi.internal.example.com:443"}
	doc := workflow.Document{
		Request:   request.Request{ID: "DATA-4722", AWS: &aws},
		Resources: workflow.Resources{TargetGroup: &workflow.TargetGroup{Result: workflow.Result{ID: "arn:tg"}}},
		Execution: "DATA-4722",
	}
	return Run(t.Context(), env, doc)
}

func TestRunListenerProtocol(t *testing.T) {
	tests := []struct {
		protocol string
		wantErr  string
	}{
		{"TCP", ""},
		{"tcp", ""},
		{"TLS", workflow.ErrConflict},
		{"TCP_UDP", workflow.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.protocol, func(t *testing.T) {
			n := &network{
				lb:       activeLB(),
				attrs:    map[string]string{AttrCrossZone: "true"},
				listener: &cloud.Listener{ARN: "arn:listener", Protocol: tt.protocol, Port: 443, TargetGroupARN: "arn:tg"},
			}
			_, err := runWith(t, n)
			if got := workflow.NameOf(err); got != tt.wantErr {
				t.Fatalf("Run with a %s listener = %v, want error name %q", tt.protocol, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.protocol) {
				t.Errorf("error %q does not name the protocol %s", err, tt.protocol)
			}
		})
	}
}

func TestRunPrivateLinkEnforcement(t *testing.T) {
	tests := []struct {
		name    string
		groups  []string
		value   string
		wantErr string
	}{
		{"no security groups", nil, "", ""},
		{"enforcement off", []string{"sg-0abc"}, "off", ""},
		{"enforcement on", []string{"sg-0abc"}, "on", workflow.ErrConflict},
		{"enforcement not reported", []string{"sg-0abc"}, "", workflow.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := map[string]string{AttrCrossZone: "true"}
			if tt.value != "" {
				attrs[attrPrivateLinkEnforcement] = tt.value
			}
			n := &network{
				lb:       withGroups(activeLB(), tt.groups),
				attrs:    attrs,
				listener: &cloud.Listener{ARN: "arn:listener", Protocol: "TCP", Port: 443, TargetGroupARN: "arn:tg"},
			}
			_, err := runWith(t, n)
			if got := workflow.NameOf(err); got != tt.wantErr {
				t.Fatalf("Run = %v, want error name %q", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "PrivateLink") {
				t.Errorf("error %q does not name PrivateLink enforcement", err)
			}
		})
	}
}

// threeZones are the zones of a region with three.
var threeZones = []cloud.AvailabilityZone{{Name: "us-west-2a", ID: "usw2-az1"}, {Name: "us-west-2b", ID: "usw2-az2"}, {Name: "us-west-2c", ID: "usw2-az3"}}

func TestRunRejectsMissingZone(t *testing.T) {
	n := &network{zones: threeZones}
	_, err := runWith(t, n, "subnet-01", "subnet-02")
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("Run = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"usw2-az3", "aws.subnet_ids", "subnet-03"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if n.created != 0 {
		t.Errorf("CreateLoadBalancer calls = %d, want 0", n.created)
	}
}

// TestRunRejectsRepeatedZone runs the step, which comes after the proxy VM
// and the target group exist, with two subnets in us-west-2a. Its fix drops
// a subnet, so the error must advise a teardown before the changed run.
func TestRunRejectsRepeatedZone(t *testing.T) {
	n := &network{zones: threeZones}
	_, err := runWith(t, n, "subnet-01", "subnet-02", "subnet-03", "subnet-0a2")
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("Run = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"aws.subnet_ids", "usw2-az1 (us-west-2a) has subnet-01, subnet-0a2", "run 'repolink teardown DATA-4722'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if !workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("error %q does not carry the teardown-first advice", err)
	}
	if n.created != 0 {
		t.Errorf("CreateLoadBalancer calls = %d, want 0", n.created)
	}
}

func TestRunAddsMissingZones(t *testing.T) {
	n := &network{
		zones:    threeZones,
		lb:       activeLB(),
		attrs:    map[string]string{AttrCrossZone: "true"},
		listener: &cloud.Listener{ARN: "arn:listener", Protocol: "TCP", Port: 443, TargetGroupARN: "arn:tg"},
	}
	// subnet-0a2 is in us-west-2a, which subnet-01 already serves, so only
	// subnet-03 is added.
	out, err := runWith(t, n, "subnet-0a2", "subnet-02", "subnet-03")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(n.setSubnets) != 1 {
		t.Fatalf("SetLoadBalancerSubnets calls = %v, want 1", n.setSubnets)
	}
	if got, want := strings.Join(n.setSubnets[0], ","), "subnet-01,subnet-02,subnet-03"; got != want {
		t.Errorf("subnets set = %s, want %s", got, want)
	}
	if out.Action != workflow.Updated {
		t.Errorf("action = %s, want %s", out.Action, workflow.Updated)
	}

	// A second run finds every zone served and changes nothing.
	out, err = runWith(t, n, "subnet-0a2", "subnet-02", "subnet-03")
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if len(n.setSubnets) != 1 {
		t.Errorf("SetLoadBalancerSubnets calls after the second run = %d, want 1", len(n.setSubnets))
	}
	if out.Action == workflow.Updated {
		t.Errorf("second run action = %s, want no update", out.Action)
	}
}

// staleNetwork reads back the load balancer without the subnets it was
// given, as during eventual consistency.
type staleNetwork struct{ network }

func (n *staleNetwork) SetLoadBalancerSubnets(_ context.Context, _ string, ids []string) error {
	n.setSubnets = append(n.setSubnets, ids)
	return nil
}

func TestRunWaitsForAddedSubnets(t *testing.T) {
	n := &staleNetwork{network{
		zones:    threeZones,
		lb:       activeLB(),
		attrs:    map[string]string{AttrCrossZone: "true"},
		listener: &cloud.Listener{ARN: "arn:listener", Protocol: "TCP", Port: 443, TargetGroupARN: "arn:tg"},
	}}
	env := &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return n, nil }}
	aws := request.AWS{Region: "us-west-2", VPCID: "vpc-0abc", SubnetIDs: []string{"subnet-01", "subnet-02", "subnet-03"},
		Proxy: "nginx", Upstream: "pypi.internal.example.com:443"}
	doc := workflow.Document{
		Request:   request.Request{ID: "DATA-4722", AWS: &aws},
		Resources: workflow.Resources{TargetGroup: &workflow.TargetGroup{Result: workflow.Result{ID: "arn:tg"}}},
		Execution: "DATA-4722",
	}
	_, err := Run(t.Context(), env, doc)
	if got := workflow.NameOf(err); got != workflow.ErrNotReady {
		t.Fatalf("Run = %v, want NotReady while the read-back lacks subnet-03", err)
	}
	if !strings.Contains(err.Error(), "subnet-03") {
		t.Errorf("error %q does not name the added subnet", err)
	}
}

// TestRunRecordsHealthyTarget checks that the step's output names the
// target whose health it checked, because the target group step runs
// before any listener uses the group and cannot see its health.
func TestRunRecordsHealthyTarget(t *testing.T) {
	n := &network{
		lb:       activeLB(),
		attrs:    map[string]string{AttrCrossZone: "true"},
		listener: &cloud.Listener{ARN: "arn:listener", Protocol: "TCP", Port: 443, TargetGroupARN: "arn:tg"},
	}
	out, err := runWith(t, n)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.HealthyTarget != "i-0abc:443" {
		t.Errorf("HealthyTarget = %q, want i-0abc:443", out.HealthyTarget)
	}
	// The listener existed before this execution, so it is listed as
	// adopted along with the load balancer.
	wantRelated := []workflow.Result{{Action: workflow.Adopted, ID: "arn:listener"}}
	if diff := cmp.Diff(wantRelated, out.Related); diff != "" {
		t.Errorf("related (-want +got):\n%s", diff)
	}
}
