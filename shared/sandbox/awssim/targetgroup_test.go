package awssim

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestTargetGroupAttributes(t *testing.T) {
	s := startTest(t, Options{})
	const elb = "elasticloadbalancing"
	status, body := post(t, s, elb, elbForm("CreateTargetGroup",
		"Name", "rl-attrs", "Protocol", "TCP", "Port", "443", "VpcId", "vpc-0abc"))
	if status != http.StatusOK {
		t.Fatalf("CreateTargetGroup = %d %s", status, body)
	}
	arn := regexp.MustCompile(`<TargetGroupArn>([^<]+)</TargetGroupArn>`).FindStringSubmatch(body)
	if arn == nil {
		t.Fatalf("CreateTargetGroup response has no ARN:\n%s", body)
	}

	proxyOff := "<Key>proxy_protocol_v2.enabled</Key><Value>false</Value>"
	proxyOn := "<Key>proxy_protocol_v2.enabled</Key><Value>true</Value>"
	status, body = post(t, s, elb, elbForm("DescribeTargetGroupAttributes", "TargetGroupArn", arn[1]))
	if status != http.StatusOK || !strings.Contains(body, proxyOff) {
		t.Errorf("attributes of a new group = %d %s, want proxy_protocol_v2.enabled false", status, body)
	}

	status, body = post(t, s, elb, elbForm("ModifyTargetGroupAttributes", "TargetGroupArn", arn[1],
		"Attributes.member.1.Key", "proxy_protocol_v2.enabled", "Attributes.member.1.Value", "true"))
	if status != http.StatusOK || !strings.Contains(body, proxyOn) {
		t.Errorf("ModifyTargetGroupAttributes = %d %s, want proxy_protocol_v2.enabled true", status, body)
	}
	status, body = post(t, s, elb, elbForm("DescribeTargetGroupAttributes", "TargetGroupArn", arn[1]))
	if !strings.Contains(body, proxyOn) || !strings.Contains(body, "<Key>stickiness.enabled</Key><Value>false</Value>") {
		t.Errorf("attributes after the change = %d %s, want proxy_protocol_v2.enabled true and the other defaults", status, body)
	}

	for _, attr := range [][2]string{{"no.such.key", "1"}, {"proxy_protocol_v2.enabled", "yes"}} {
		status, body = post(t, s, elb, elbForm("ModifyTargetGroupAttributes", "TargetGroupArn", arn[1],
			"Attributes.member.1.Key", attr[0], "Attributes.member.1.Value", attr[1]))
		if status != http.StatusBadRequest || !strings.Contains(body, "<Code>InvalidConfigurationRequest</Code>") {
			t.Errorf("setting %s=%s = %d %s, want 400 InvalidConfigurationRequest", attr[0], attr[1], status, body)
		}
	}
}

func TestSetAttributesInvalidSetsNone(t *testing.T) {
	var attrs map[string]string
	batch := []map[string]string{
		{"Key": "proxy_protocol_v2.enabled", "Value": "true"},
		{"Key": "no.such.key", "Value": "1"},
	}
	if err := setAttributes(&attrs, targetGroupAttributes, batch); err == nil {
		t.Error("setAttributes with an unknown key: err = nil, want InvalidConfigurationRequest")
	}
	if attrs != nil {
		t.Errorf("attributes after a rejected batch = %v, want nil", attrs)
	}

	if err := setAttributes(&attrs, targetGroupAttributes, batch[:1]); err != nil {
		t.Fatal(err)
	}
	if got := attrs["proxy_protocol_v2.enabled"]; got != "true" {
		t.Errorf("proxy_protocol_v2.enabled = %q, want true", got)
	}
}
