package targetgroup

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// network records the target group calls.
type network struct {
	cloud.AWSNetwork
	tg         *cloud.TargetGroup
	specs      []cloud.TargetGroupSpec
	registered []string
	attrs      map[string]string
	// subnetVPC is the VPC of every subnet, or "" for the request's VPC.
	subnetVPC string
}

func (n *network) Subnets(_ context.Context, ids []string) ([]cloud.Subnet, error) {
	subnets := make([]cloud.Subnet, 0, len(ids))
	for _, id := range ids {
		subnets = append(subnets, cloud.Subnet{ID: id, VPCID: n.subnetVPC})
	}
	return subnets, nil
}

func (n *network) FindTargetGroup(context.Context, string) (*cloud.TargetGroup, error) {
	return n.tg, nil
}

func (n *network) CreateTargetGroup(_ context.Context, spec cloud.TargetGroupSpec) (cloud.TargetGroup, error) {
	n.specs = append(n.specs, spec)
	kind := spec.TargetType
	if kind == "" {
		kind = "instance"
	}
	n.tg = &cloud.TargetGroup{ARN: "arn:tg", Name: spec.Name, Protocol: "TCP", Port: spec.Port, HealthCheckProtocol: "TCP", TargetType: kind,
		Tags: map[string]string{cloud.TagExecution: spec.Tags[cloud.TagExecution]}}
	return *n.tg, nil
}

func (n *network) RegisterTarget(_ context.Context, _, id string, port int) error {
	n.registered = append(n.registered, id+":"+strconv.Itoa(port))
	return nil
}

func (n *network) TargetHealth(context.Context, string) ([]cloud.TargetHealth, error) {
	return nil, nil
}

func (n *network) TargetGroupAttributes(context.Context, string) (map[string]string, error) {
	return n.attrs, nil
}

func (n *network) TagTargetGroup(_ context.Context, _ string, tags map[string]string) error {
	for key, value := range tags {
		n.tg.Tags[key] = value
	}
	return nil
}

func document(aws request.AWS, vm *workflow.ProxyVM) workflow.Document {
	return workflow.Document{
		Request:   request.Request{ID: "DATA-4722", AWS: &aws},
		Resources: workflow.Resources{ProxyVM: vm},
		Execution: "DATA-4722",
	}
}

func envFor(n *network) *workflow.Env {
	return &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return n, nil }}
}

func TestRunRegistersTarget(t *testing.T) {
	cases := []struct {
		name       string
		aws        request.AWS
		vm         *workflow.ProxyVM
		wantType   string
		wantPort   int
		registered []string
	}{
		{
			name:       "proxy instance",
			aws:        request.AWS{Region: "us-west-2", VPCID: "vpc-1", Proxy: "nginx", Upstream: "pypi.corp.example.com:8443"},
			vm:         &workflow.ProxyVM{Result: workflow.Result{ID: "i-0abc"}},
			wantType:   "instance",
			wantPort:   443,
			registered: []string{"i-0abc:443"},
		},
		{
			name:       "repository address",
			aws:        request.AWS{Region: "us-west-2", VPCID: "vpc-1", Proxy: "none", TargetAddress: "10.0.1.25", Upstream: "pypi.internal.example.com:8443"},
			vm:         &workflow.ProxyVM{Result: workflow.Result{Action: workflow.Skipped, ID: "none"}},
			wantType:   "ip",
			wantPort:   8443,
			registered: []string{"10.0.1.25:8443"},
		},
		{
			name:       "repository address without upstream",
			aws:        request.AWS{Region: "us-west-2", VPCID: "vpc-1", Proxy: "none", TargetAddress: "10.0.1.25"},
			vm:         &workflow.ProxyVM{Result: workflow.Result{Action: workflow.Skipped, ID: "none"}},
			wantType:   "ip",
			wantPort:   443,
			registered: []string{"10.0.1.25:443"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := &network{}
			out, err := Run(context.Background(), envFor(n), document(tc.aws, tc.vm))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if out.Action != workflow.Created {
				t.Errorf("action = %q, want created", out.Action)
			}
			if len(n.specs) != 1 || n.specs[0].TargetType != tc.wantType || n.specs[0].Port != tc.wantPort {
				t.Errorf("created %+v, want one group of type %s on port %d", n.specs, tc.wantType, tc.wantPort)
			}
			if diff := cmp.Diff(tc.registered, n.registered); diff != "" {
				t.Errorf("registered targets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunRejectsWrongTargetType(t *testing.T) {
	n := &network{tg: &cloud.TargetGroup{ARN: "arn:tg", HealthCheckProtocol: "TCP", TargetType: "instance"}}
	aws := request.AWS{Region: "us-west-2", Proxy: "none", TargetAddress: "10.0.1.25", Upstream: "pypi.internal.example.com:443"}
	_, err := Run(context.Background(), envFor(n), document(aws, nil))
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Errorf("Run on an instance group with proxy none = %v, want Conflict", err)
	}
	if len(n.registered) != 0 {
		t.Errorf("registered %v in a group of the wrong type", n.registered)
	}
}

func TestRunRejectsHTTPHealthCheck(t *testing.T) {
	for _, protocol := range []string{"HTTP", "HTTPS"} {
		n := &network{tg: &cloud.TargetGroup{ARN: "arn:tg", HealthCheckProtocol: protocol, TargetType: "ip", Tags: map[string]string{}}}
		aws := request.AWS{Region: "us-west-2", Proxy: "none", TargetAddress: "10.0.1.25", Upstream: "pypi.internal.example.com:443"}
		_, err := Run(context.Background(), envFor(n), document(aws, nil))
		if workflow.NameOf(err) != workflow.ErrConflict {
			t.Fatalf("Run on a group with an %s health check = %v, want Conflict", protocol, err)
		}
		if !strings.Contains(err.Error(), protocol) {
			t.Errorf("error %q does not name the health check protocol %s", err, protocol)
		}
		if len(n.registered) != 0 {
			t.Errorf("registered %v in a group whose health check fails on a TLS port", n.registered)
		}
	}
}

func TestRunRejectsProxyProtocol(t *testing.T) {
	for _, value := range []string{"true", "TRUE"} {
		n := &network{
			tg:    &cloud.TargetGroup{ARN: "arn:tg", HealthCheckProtocol: "TCP", TargetType: "ip", Tags: map[string]string{}},
			attrs: map[string]string{"proxy_protocol_v2.enabled": value, "stickiness.enabled": "false"},
		}
		aws := request.AWS{Region: "us-west-2", Proxy: "none", TargetAddress: "10.0.1.25", Upstream: "pypi.internal.example.com:443"}
		_, err := Run(context.Background(), envFor(n), document(aws, nil))
		if workflow.NameOf(err) != workflow.ErrConflict {
			t.Fatalf("Run on a group with proxy_protocol_v2.enabled=%s = %v, want Conflict", value, err)
		}
		if !strings.Contains(err.Error(), "proxy_protocol_v2.enabled") || !strings.Contains(err.Error(), "arn:tg") {
			t.Errorf("error %q does not name the group and the attribute", err)
		}
		if len(n.registered) != 0 {
			t.Errorf("registered %v in a group that sends PROXY protocol headers", n.registered)
		}
	}
}

func TestRunNeedsProxyVM(t *testing.T) {
	aws := request.AWS{Region: "us-west-2", Proxy: "nginx", Upstream: "pypi.corp.example.com:443"}
	_, err := Run(context.Background(), envFor(&network{}), document(aws, nil))
	if workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Errorf("Run without the proxy VM = %v, want InvalidRequest", err)
	}
}

func TestRunRejectsSubnetsOfOtherVPC(t *testing.T) {
	aws := request.AWS{Region: "us-west-2", VPCID: "vpc-0000000000000dead", SubnetIDs: []string{"subnet-01"}}
	net := &network{subnetVPC: "vpc-0abc"}
	env := &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return net, nil }}

	_, err := Run(t.Context(), env, document(aws, &workflow.ProxyVM{Result: workflow.Result{ID: "i-0abc"}, PrivateIP: "10.0.0.5"}))
	if workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Fatalf("error = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"aws.vpc_id", "vpc-0000000000000dead", "subnet-01 is in vpc-0abc"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if !strings.Contains(err.Error(), "run 'repolink teardown DATA-4722'") {
		t.Errorf("error %q does not advise the teardown of DATA-4722 first", err)
	}
	if !workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("NeedsTeardownFirst is false for %q", err)
	}
	if len(net.specs) != 0 {
		t.Errorf("created target groups %v, want none", net.specs)
	}
}
