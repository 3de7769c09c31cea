package loadbalancer

import (
	"context"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// network is a fake of an existing load balancer, its attributes and its
// listener, with one healthy target.
type network struct {
	cloud.AWSNetwork
	lb       *cloud.LoadBalancer
	attrs    map[string]string
	listener *cloud.Listener
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

func runWith(t *testing.T, n *network) (Output, error) {
	t.Helper()
	env := &workflow.Env{AWS: func(context.Context, string) (cloud.AWSNetwork, error) { return n, nil }}
	aws := request.AWS{Region: "us-west-2", VPCID: "vpc-0abc", SubnetIDs: []string{"subnet-01", "subnet-02"},
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
				lb:       &cloud.LoadBalancer{ARN: "arn:lb", Scheme: "internal", State: "active"},
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
				lb:       &cloud.LoadBalancer{ARN: "arn:lb", Scheme: "internal", State: "active", SecurityGroups: tt.groups},
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
