package request

import (
	"errors"
	"strings"
	"testing"
)

func TestAWSPartitionOf(t *testing.T) {
	tests := []struct {
		region    string
		id        string
		dnsSuffix string
	}{
		{"us-west-2", "aws", "amazonaws.com"},
		{"ap-southeast-7", "aws", "amazonaws.com"},
		{"mx-central-1", "aws", "amazonaws.com"},
		{"cn-north-1", "aws-cn", "amazonaws.com.cn"},
		{"cn-northwest-1", "aws-cn", "amazonaws.com.cn"},
		{"us-gov-west-1", "aws-us-gov", "amazonaws.com"},
		{"us-iso-east-1", "aws-iso", "c2s.ic.gov"},
		{"us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"},
		{"eu-isoe-west-1", "aws-iso-e", "cloud.adc-e.uk"},
		{"us-isof-south-1", "aws-iso-f", "csp.hci.ic.gov"},
		{"eusc-de-east-1", "aws-eusc", "amazonaws.eu"},
	}
	for _, tt := range tests {
		got, ok := AWSPartitionOf(tt.region)
		if !ok {
			t.Errorf("AWSPartitionOf(%q) found no partition", tt.region)
			continue
		}
		if got.ID != tt.id {
			t.Errorf("AWSPartitionOf(%q).ID = %q, want %q", tt.region, got.ID, tt.id)
		}
		if got.DNSSuffix != tt.dnsSuffix {
			t.Errorf("AWSPartitionOf(%q).DNSSuffix = %q, want %q", tt.region, got.DNSSuffix, tt.dnsSuffix)
		}
	}
}

func TestAWSPartitionOfRejectsNonRegions(t *testing.T) {
	for _, region := range []string{
		"", "xx-fake-9", "us-fake-1", "xx-west-1", "us-west", "us-west-2a", "US-WEST-2",
		"us-west-2-lax-1", "cn-north-1.", "us-gov-1",
	} {
		if p, ok := AWSPartitionOf(region); ok {
			t.Errorf("AWSPartitionOf(%q) = %+v, want no partition", region, p)
		}
	}
}

func TestReverseDNSPrefix(t *testing.T) {
	tests := map[string]string{
		"us-east-1":  "com.amazonaws",
		"cn-north-1": "cn.com.amazonaws",
	}
	for region, want := range tests {
		p, _ := AWSPartitionOf(region)
		if got := p.ReverseDNSPrefix(); got != want {
			t.Errorf("ReverseDNSPrefix of %s = %q, want %q", region, got, want)
		}
	}
}

func TestValidateRejectsUnknownAWSRegion(t *testing.T) {
	field := validateOne(t, func(r *Request) { r.AWS.Region = "xx-fake-9" })
	if field.Path != "$.aws.region" {
		t.Errorf("path = %q, want $.aws.region", field.Path)
	}
	if !strings.Contains(field.Message, `"xx-fake-9" is not an AWS region`) {
		t.Errorf("message = %q, want it to name xx-fake-9 as not an AWS region", field.Message)
	}
}

func TestValidateAcceptsChinaRegion(t *testing.T) {
	req, err := Parse([]byte(exampleJSON(t, "aws-privatelink.json")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	req.AWS.Region = "cn-north-1"
	var verr *ValidationError
	if err := req.Validate(); errors.As(err, &verr) {
		for _, f := range verr.Fields {
			if f.Path == "$.aws.region" {
				t.Errorf("Validate rejected cn-north-1: %s", f.Message)
			}
		}
	}
}
