package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/sandbox/simtest"
)

func startTest(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

const testAuth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/us-west-2/%s/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"

// post sends a signed query-protocol request and returns the status and
// body.
func post(t *testing.T, s *Server, service string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if service != "" {
		req.Header.Set("Authorization", strings.Replace(testAuth, "%s", service, 1))
		req.Header.Set("X-Amz-Date", "20261204T120000Z")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Error("response has no x-amzn-RequestId header")
	}
	return resp.StatusCode, string(body)
}

func ec2Form(action string, kv ...string) url.Values {
	form := url.Values{"Action": {action}, "Version": {ec2Version}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	return form
}

func elbForm(action string, kv ...string) url.Values {
	form := ec2Form(action, kv...)
	form.Set("Version", elbv2Version)
	return form
}

func TestUnsignedRequestRejected(t *testing.T) {
	s := startTest(t, Options{})
	status, body := post(t, s, "", ec2Form("DescribeInstances"))
	if status != http.StatusForbidden || !strings.Contains(body, "<Code>MissingAuthenticationToken</Code>") {
		t.Errorf("unsigned request = %d %s, want 403 MissingAuthenticationToken", status, body)
	}
}

func TestWrongScopeRejected(t *testing.T) {
	s := startTest(t, Options{})
	status, body := post(t, s, "ec2", elbForm("DescribeLoadBalancers"))
	if status != http.StatusForbidden || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("ELBv2 call signed for ec2 = %d %s, want 403 SignatureDoesNotMatch", status, body)
	}
}

func TestResponseShapes(t *testing.T) {
	s := startTest(t, Options{})
	userData := "IyEvYmluL3NoCg=="
	tests := []struct {
		name    string
		service string
		form    url.Values
		status  int
		want    []string
	}{
		{"ec2 list items", "ec2", ec2Form("RunInstances", "ImageId", "ami-0a1b2c3d4e5f60101", "MinCount", "1", "MaxCount", "1",
			"SubnetId", "subnet-01", "UserData", userData),
			200, []string{"<RunInstancesResponse xmlns=", "<instancesSet><item><instanceId>i-", "<instanceState><code>16</code><name>running</name>"}},
		{"ec2 error", "ec2", ec2Form("DescribeInstances", "InstanceId.1", "i-missing"),
			400, []string{"<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>", "<RequestID>"}},
		{"ec2 bad user data", "ec2", ec2Form("RunInstances", "ImageId", "ami-0a1b2c3d4e5f60101", "MinCount", "1", "MaxCount", "1",
			"SubnetId", "subnet-01", "UserData", "#!/bin/sh"),
			400, []string{"<Code>InvalidParameterValue</Code>", "BASE64"}},
		{"elb result wrapper", "elasticloadbalancing", elbForm("DescribeLoadBalancers"),
			200, []string{"<DescribeLoadBalancersResponse xmlns=", "<DescribeLoadBalancersResult>", "<ResponseMetadata><RequestId>"}},
		{"elb error", "elasticloadbalancing", elbForm("DescribeTargetGroups", "Names.member.1", "none"),
			400, []string{"<ErrorResponse", "<Type>Sender</Type><Code>TargetGroupNotFound</Code>"}},
		{"elb tags of missing target group", "elasticloadbalancing",
			elbForm("DescribeTags", "ResourceArns.member.1", "arn:aws:elasticloadbalancing:us-west-2:111122223333:targetgroup/none/0"),
			400, []string{"<Code>TargetGroupNotFound</Code>"}},
		{"elb tags of missing load balancer", "elasticloadbalancing",
			elbForm("DescribeTags", "ResourceArns.member.1", "arn:aws:elasticloadbalancing:us-west-2:111122223333:loadbalancer/net/none/0"),
			400, []string{"<Code>LoadBalancerNotFound</Code>"}},
		{"elb tags without arns", "elasticloadbalancing", elbForm("DescribeTags"),
			400, []string{"<Code>ValidationError</Code>"}},
		{"unknown version", "ec2", url.Values{"Action": {"DescribeInstances"}, "Version": {"2010-01-01"}},
			400, []string{"<Code>InvalidParameterValue</Code>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, s, tt.service, tt.form)
			if status != tt.status {
				t.Errorf("status = %d, want %d (body %s)", status, tt.status, body)
			}
			for _, want := range tt.want {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
		})
	}
}

func TestSecretsJSONProtocol(t *testing.T) {
	s := startTest(t, Options{})
	call := func(target, body string) (int, http.Header, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, s.URL(), strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Authorization", strings.Replace(testAuth, "%s", "secretsmanager", 1))
		req.Header.Set("X-Amz-Date", "20261204T120000Z")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, resp.Header, out
	}

	status, _, out := call("secretsmanager.CreateSecret", `{"Name":"k","SecretString":"v1"}`)
	if status != 200 || !strings.HasPrefix(out["ARN"].(string), "arn:aws:secretsmanager:us-west-2:123456789012:secret:k-") {
		t.Fatalf("CreateSecret = %d %v", status, out)
	}
	status, header, out := call("secretsmanager.CreateSecret", `{"Name":"k","SecretString":"v2"}`)
	if status != 400 || out["__type"] != "ResourceExistsException" || header.Get("X-Amzn-ErrorType") != "ResourceExistsException" {
		t.Errorf("second CreateSecret = %d %v, want 400 ResourceExistsException", status, out)
	}
	call("secretsmanager.PutSecretValue", `{"SecretId":"k","SecretString":"v3"}`)
	status, _, out = call("secretsmanager.GetSecretValue", `{"SecretId":"k"}`)
	if status != 200 || out["SecretString"] != "v3" {
		t.Errorf("GetSecretValue = %d, SecretString matches: %v", status, out["SecretString"] == "v3")
	}
	status, _, out = call("secretsmanager.GetSecretValue", `{"SecretId":"missing"}`)
	if status != 400 || out["__type"] != "ResourceNotFoundException" {
		t.Errorf("GetSecretValue of a missing secret = %d %v", status, out)
	}
}

func TestPutSecretIdempotent(t *testing.T) {
	s := startTest(t, Options{})
	first, err := s.PutSecret("repo-password", "p1")
	if err != nil {
		t.Fatalf("PutSecret: %v", err)
	}
	second, err := s.PutSecret("repo-password", "p1")
	if err != nil {
		t.Fatalf("PutSecret again: %v", err)
	}
	if first != second {
		t.Errorf("PutSecret ARNs differ: %s, %s", first, second)
	}
	if !s.HasSecret("repo-password") || !s.HasSecret(first) {
		t.Error("HasSecret by name or ARN = false, want true")
	}
	if s.HasSecret("other") {
		t.Error("HasSecret(other) = true, want false")
	}
	if got := s.Counts()["secrets"]; got != 1 {
		t.Errorf("secrets = %d, want 1", got)
	}
	if snap := s.Snapshot(); snap.Secrets[first].Value != "" {
		t.Error("Snapshot exposes a secret value")
	}
}

func TestPutSecretByARN(t *testing.T) {
	s := startTest(t, Options{})
	const partial = "arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index-password"
	arn, err := s.PutSecret(partial, "p1")
	if err != nil {
		t.Fatalf("PutSecret: %v", err)
	}
	if !strings.HasPrefix(arn, partial+"-") || len(arn) != len(partial)+7 {
		t.Errorf("ARN = %s, want %s and a 6-character suffix", arn, partial)
	}
	if got := s.Snapshot().Secrets[arn].Name; got != "repolink/index-password" {
		t.Errorf("name = %q, want repolink/index-password", got)
	}
	if !s.HasSecret(partial) || !s.HasSecret(arn) || !s.HasSecret("repolink/index-password") {
		t.Error("HasSecret by partial ARN, full ARN or name = false, want true")
	}
	again, err := s.PutSecret(partial, "p1")
	if err != nil || again != arn {
		t.Errorf("PutSecret again = %s, %v, want %s", again, err, arn)
	}
}

func TestWorldPersistsAndRelaunches(t *testing.T) {
	dir := t.TempDir()
	clock := simtest.NewClock(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	launcher := &simtest.Launcher{}
	opts := Options{Dir: dir, Clock: clock.Now, Launcher: launcher, Delays: Delays{InstanceRunning: time.Minute}}

	s, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	status, body := post(t, s, "ec2", ec2Form("RunInstances", "ImageId", "ami-0a1b2c3d4e5f60101", "MinCount", "1", "MaxCount", "1",
		"SubnetId", "subnet-01", "UserData", "c2VydmUgNDQz", "ClientToken", "tok"))
	if status != 200 {
		t.Fatalf("RunInstances = %d %s", status, body)
	}
	// The same client token launches nothing more.
	post(t, s, "ec2", ec2Form("RunInstances", "ImageId", "ami-0a1b2c3d4e5f60101", "MinCount", "1", "MaxCount", "1",
		"SubnetId", "subnet-01", "UserData", "c2VydmUgNDQz", "ClientToken", "tok"))
	before := s.Snapshot()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if len(launcher.Launched()) != 1 || launcher.Running() != 0 {
		t.Fatalf("after Close: launched %v, running %d; want one launch and none running", launcher.Launched(), launcher.Running())
	}

	clock.Advance(time.Minute)
	s2 := startTest(t, opts)
	after := s2.Snapshot()
	if diff := cmp.Diff(before.Instances, after.Instances, cmpIgnoreState()); diff != "" {
		t.Errorf("instances after restart (-before +after):\n%s", diff)
	}
	var id string
	for id = range after.Instances {
	}
	if got := after.Instances[id].State; got != "running" {
		t.Errorf("instance state after a minute = %q, want running", got)
	}
	if len(launcher.Launched()) != 2 || launcher.UserData(id) != "serve 443" {
		t.Errorf("relaunch: launched %v with user data %q; want a second launch of %s with the decoded user data",
			launcher.Launched(), launcher.UserData(id), id)
	}
}

func cmpIgnoreState() cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".State" }, cmp.Ignore())
}

func TestVisibilityDelayHidesNewResources(t *testing.T) {
	clock := simtest.NewClock(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	s := startTest(t, Options{Clock: clock.Now, Delays: Delays{Visibility: 5 * time.Second}})
	post(t, s, "elasticloadbalancing", elbForm("CreateTargetGroup", "Name", "tg", "Protocol", "TCP", "Port", "443", "VpcId", "vpc-1"))

	status, _ := post(t, s, "elasticloadbalancing", elbForm("DescribeTargetGroups", "Names.member.1", "tg"))
	if status != 400 {
		t.Errorf("describe right after create = %d, want 400 TargetGroupNotFound", status)
	}
	clock.Advance(5 * time.Second)
	status, _ = post(t, s, "elasticloadbalancing", elbForm("DescribeTargetGroups", "Names.member.1", "tg"))
	if status != 200 {
		t.Errorf("describe after the visibility delay = %d, want 200", status)
	}
}

func TestConnectWithoutAcceptance(t *testing.T) {
	s := startTest(t, Options{})
	post(t, s, "elasticloadbalancing", elbForm("CreateLoadBalancer", "Name", "nlb", "Type", "network", "Scheme", "internal", "Subnets.member.1", "subnet-01"))
	var lbARN string
	for arn := range s.Snapshot().LoadBalancers {
		lbARN = arn
	}
	post(t, s, "ec2", ec2Form("CreateVpcEndpointServiceConfiguration", "NetworkLoadBalancerArn.1", lbARN, "AcceptanceRequired", "false"))
	var svc EndpointService
	for _, v := range s.Snapshot().EndpointServices {
		svc = *v
	}
	post(t, s, "ec2", ec2Form("ModifyVpcEndpointServicePermissions", "ServiceId", svc.ID, "AddAllowedPrincipals.1", "*"))

	id, err := s.Connect(svc.Name, "arn:aws:iam::444455556666:root")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if state, _ := s.ConnectionState(svc.Name, id); state != "available" {
		t.Errorf("state without acceptance = %q, want available", state)
	}
	if err := s.Disconnect(svc.Name, id); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	if state, _ := s.ConnectionState(svc.Name, id); state != "deleted" {
		t.Errorf("state after Disconnect = %q, want deleted", state)
	}
	if _, err := s.ConnectionState(svc.Name, "vpce-unknown"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ConnectionState of an unknown endpoint = %v, want ErrNotFound", err)
	}
}
