package awssim

import (
	"net/http"
	"strings"
	"testing"
)

func TestChinaRegionUsesAWSCNPartition(t *testing.T) {
	s := startTest(t, Options{})
	status, body := postIn(t, s, "cn-north-1", "elasticloadbalancing", elbForm("CreateLoadBalancer", "Name", "nlb", "Type", "network",
		"Scheme", "internal", "Subnets.member.1", "subnet-02"))
	if status != http.StatusOK {
		t.Fatalf("CreateLoadBalancer in cn-north-1: %d %s", status, body)
	}
	for _, want := range []string{"arn:aws-cn:elasticloadbalancing:cn-north-1:", ".elb.cn-north-1.amazonaws.com.cn<"} {
		if !strings.Contains(body, want) {
			t.Errorf("load balancer lacks %s: %s", want, body)
		}
	}

	var lbARN string
	for arn := range s.Snapshot().LoadBalancers {
		lbARN = arn
	}
	status, body = postIn(t, s, "cn-north-1", "ec2", ec2Form("CreateVpcEndpointServiceConfiguration",
		"NetworkLoadBalancerArn.1", lbARN, "AcceptanceRequired", "false"))
	if status != http.StatusOK {
		t.Fatalf("CreateVpcEndpointServiceConfiguration in cn-north-1: %d %s", status, body)
	}
	if !strings.Contains(body, "<serviceName>cn.com.amazonaws.vpce.cn-north-1.vpce-svc-") {
		t.Errorf("endpoint service name is not in cn.com.amazonaws.vpce.cn-north-1: %s", body)
	}
	if !strings.Contains(body, ".cn-north-1.vpce.amazonaws.com.cn<") {
		t.Errorf("endpoint service DNS name does not end in cn-north-1.vpce.amazonaws.com.cn: %s", body)
	}

	status, body = callSecretsIn(t, s, "cn-north-1", "CreateSecret", `{"Name":"repo-token","SecretString":"value-1"}`)
	if status != http.StatusOK {
		t.Fatalf("CreateSecret in cn-north-1: %d %s", status, body)
	}
	if !strings.Contains(body, `"arn:aws-cn:secretsmanager:cn-north-1:`) {
		t.Errorf("CreateSecret in cn-north-1 returned %s, want an arn:aws-cn ARN", body)
	}
}

func TestServiceRegionOfChinaName(t *testing.T) {
	tests := map[string]string{
		"com.amazonaws.vpce.us-west-2.vpce-svc-0123":     "us-west-2",
		"cn.com.amazonaws.vpce.cn-north-1.vpce-svc-0123": "cn-north-1",
		"vpce-svc-0123": "fallback",
	}
	for name, want := range tests {
		if got := serviceRegion(name, "fallback"); got != want {
			t.Errorf("serviceRegion(%q) = %q, want %q", name, got, want)
		}
	}
}
