package awssim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// postIn sends a query-protocol request signed for region and returns the
// status and body.
func postIn(t *testing.T, s *Server, region, service string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/"+region+"/"+service+
		"/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	req.Header.Set("X-Amz-Date", "20261204T120000Z")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestZonesFollowSignedRegion(t *testing.T) {
	s := startTest(t, Options{})
	status, body := postIn(t, s, "eu-west-1", "ec2", ec2Form("DescribeAvailabilityZones"))
	if status != http.StatusOK {
		t.Fatalf("DescribeAvailabilityZones in eu-west-1: %d %s", status, body)
	}
	for _, want := range []string{"<zoneName>eu-west-1a</zoneName>", "<zoneId>euw1-az1</zoneId>", "<regionName>eu-west-1</regionName>"} {
		if !strings.Contains(body, want) {
			t.Errorf("zones of eu-west-1 lack %s: %s", want, body)
		}
	}
	if strings.Contains(body, "us-west-2") {
		t.Errorf("zones of eu-west-1 name us-west-2: %s", body)
	}
}

func TestSubnetOfOtherRegionNotFound(t *testing.T) {
	s := startTest(t, Options{})
	if err := s.EnsureSubnet("subnet-01", "vpc-01", "us-west-2a"); err != nil {
		t.Fatal(err)
	}

	status, body := postIn(t, s, "eu-west-1", "ec2", ec2Form("DescribeSubnets", "SubnetId.1", "subnet-01"))
	if status != http.StatusBadRequest || !strings.Contains(body, "InvalidSubnetID.NotFound") {
		t.Errorf("DescribeSubnets in eu-west-1 = %d %s, want InvalidSubnetID.NotFound", status, body)
	}
	status, body = postIn(t, s, "eu-west-1", "ec2", ec2Form("DescribeSubnets", "Filter.1.Name", "vpc-id", "Filter.1.Value.1", "vpc-01"))
	if status != http.StatusOK || strings.Contains(body, "subnet-01") {
		t.Errorf("subnets of vpc-01 in eu-west-1 = %d %s, want none", status, body)
	}
	status, body = postIn(t, s, "eu-west-1", "elasticloadbalancing", elbForm("CreateLoadBalancer", "Name", "nlb", "Type", "network",
		"Scheme", "internal", "Subnets.member.1", "subnet-01"))
	if status != http.StatusBadRequest || !strings.Contains(body, "SubnetNotFound") {
		t.Errorf("CreateLoadBalancer in eu-west-1 = %d %s, want SubnetNotFound", status, body)
	}

	status, body = postIn(t, s, "us-west-2", "ec2", ec2Form("DescribeSubnets", "SubnetId.1", "subnet-01"))
	if status != http.StatusOK || !strings.Contains(body, "<availabilityZoneId>usw2-az1</availabilityZoneId>") {
		t.Errorf("DescribeSubnets in us-west-2 = %d %s, want subnet-01 in usw2-az1", status, body)
	}
}

func TestLoadBalancerInSignedRegion(t *testing.T) {
	s := startTest(t, Options{})
	status, body := postIn(t, s, "eu-west-1", "elasticloadbalancing", elbForm("CreateLoadBalancer", "Name", "nlb", "Type", "network",
		"Scheme", "internal", "Subnets.member.1", "subnet-02"))
	if status != http.StatusOK {
		t.Fatalf("CreateLoadBalancer in eu-west-1: %d %s", status, body)
	}
	for _, want := range []string{"arn:aws:elasticloadbalancing:eu-west-1:", ".elb.eu-west-1.amazonaws.com", "eu-west-1a"} {
		if !strings.Contains(body, want) {
			t.Errorf("load balancer lacks %s: %s", want, body)
		}
	}
}

// callSecretsIn sends a Secrets Manager action signed for region and
// returns the status and body.
func callSecretsIn(t *testing.T, s *Server, region, action, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager."+action)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/"+region+
		"/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	req.Header.Set("X-Amz-Date", "20261204T120000Z")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func TestSecretInSignedRegion(t *testing.T) {
	s := startTest(t, Options{})
	status, body := callSecretsIn(t, s, "eu-west-1", "CreateSecret", `{"Name":"repo-token","SecretString":"value-1"}`)
	if status != http.StatusOK {
		t.Fatalf("CreateSecret in eu-west-1: %d %s", status, body)
	}
	if !strings.Contains(body, `"arn:aws:secretsmanager:eu-west-1:123456789012:secret:repo-token-`) {
		t.Errorf("CreateSecret in eu-west-1 returned %s, want an ARN in eu-west-1", body)
	}

	status, body = callSecretsIn(t, s, "eu-west-1", "PutSecretValue", `{"SecretId":"repo-token","SecretString":"value-2"}`)
	if status != http.StatusOK || !strings.Contains(body, ":secretsmanager:eu-west-1:") {
		t.Errorf("PutSecretValue in eu-west-1 = %d %s, want an ARN in eu-west-1", status, body)
	}
	status, body = callSecretsIn(t, s, "eu-west-1", "GetSecretValue", `{"SecretId":"repo-token"}`)
	if status != http.StatusOK || !strings.Contains(body, ":secretsmanager:eu-west-1:") {
		t.Errorf("GetSecretValue in eu-west-1 = %d %s, want an ARN in eu-west-1", status, body)
	}
	if !strings.Contains(body, `"SecretString":"value-2"`) {
		t.Errorf("GetSecretValue in eu-west-1 returned %s, want value-2", body)
	}

	status, body = callSecretsIn(t, s, "us-west-2", "GetSecretValue", `{"SecretId":"repo-token"}`)
	if status != http.StatusBadRequest || !strings.Contains(body, "ResourceNotFoundException") {
		t.Errorf("GetSecretValue by name in us-west-2 = %d %s, want ResourceNotFoundException", status, body)
	}
}

func TestSecretARNOfOtherRegionNotFound(t *testing.T) {
	s := startTest(t, Options{})
	status, body := callSecretsIn(t, s, "eu-west-1", "CreateSecret", `{"Name":"repo-token","SecretString":"value-1"}`)
	if status != http.StatusOK {
		t.Fatalf("CreateSecret in eu-west-1: %d %s", status, body)
	}
	var created struct{ ARN string }
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	partial := created.ARN[:len(created.ARN)-7]

	for _, id := range []string{created.ARN, partial} {
		status, body = callSecretsIn(t, s, "us-west-2", "GetSecretValue", `{"SecretId":"`+id+`"}`)
		if status != http.StatusBadRequest || !strings.Contains(body, "ResourceNotFoundException") {
			t.Errorf("GetSecretValue of %s in us-west-2 = %d %s, want ResourceNotFoundException", id, status, body)
		}
		status, body = callSecretsIn(t, s, "eu-west-1", "GetSecretValue", `{"SecretId":"`+id+`"}`)
		if status != http.StatusOK {
			t.Errorf("GetSecretValue of %s in eu-west-1 = %d %s, want the secret", id, status, body)
		}
	}
}

// TestUnknownRegionRejected checks that EC2 and ELBv2 calls signed for a
// region that is not an AWS region get UnknownRegion, as AWS has no
// endpoint for it, while a region of another partition is served.
func TestUnknownRegionRejected(t *testing.T) {
	s := startTest(t, Options{})
	calls := []struct {
		service string
		form    url.Values
	}{
		{"ec2", ec2Form("DescribeAvailabilityZones")},
		{"elasticloadbalancing", url.Values{"Action": {"DescribeLoadBalancers"}, "Version": {elbv2Version}}},
	}
	for _, call := range calls {
		status, body := postIn(t, s, "us-west-3", call.service, call.form)
		if status != http.StatusBadRequest {
			t.Errorf("%s in us-west-3: status %d, want %d: %s", call.service, status, http.StatusBadRequest, body)
		}
		if !strings.Contains(body, "<Code>"+UnknownRegionCode+"</Code>") {
			t.Errorf("%s in us-west-3: body lacks the code %s: %s", call.service, UnknownRegionCode, body)
		}
		if !strings.Contains(body, "us-west-3") {
			t.Errorf("%s in us-west-3: body does not name the region: %s", call.service, body)
		}
	}

	status, body := postIn(t, s, "cn-north-1", "ec2", ec2Form("DescribeAvailabilityZones"))
	if status != http.StatusOK {
		t.Errorf("DescribeAvailabilityZones in cn-north-1: %d %s", status, body)
	}
}
