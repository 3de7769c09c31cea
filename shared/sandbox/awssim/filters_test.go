package awssim

import (
	"testing"
	"time"
)

func filter(name string, values ...string) ec2Filter {
	return ec2Filter{Name: name, Values: values}
}

func TestDescribeFilters(t *testing.T) {
	s := &Server{}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tags := map[string]string{"team": "data", "env": "prod"}
	inst := &Instance{ID: "i-1", SubnetID: "subnet-1", ClientToken: "ct", Tags: tags}
	svc := &EndpointService{ID: "vpce-svc-1", Name: "com.amazonaws.vpce.svc-1", Tags: tags}
	conn := &EndpointConnection{ServiceID: "vpce-svc-1", EndpointID: "vpce-1", Owner: "111122223333"}
	zone := zoneInfoXML{Name: "eu-west-1a", ID: "euw1-az1", Type: "availability-zone", State: "available", Region: "eu-west-1"}
	rule := SecurityGroupRule{ID: "sgr-1", Tags: tags}

	matchers := map[string]func([]ec2Filter) bool{
		"instance":   func(f []ec2Filter) bool { return s.instanceMatches(inst, f, now) },
		"service":    func(f []ec2Filter) bool { return serviceMatches(svc, f) },
		"connection": func(f []ec2Filter) bool { return s.connectionMatches(conn, f, now) },
		"zone":       func(f []ec2Filter) bool { return zoneMatches(zone, f) },
		"rule": func(f []ec2Filter) bool {
			ok, err := ruleMatches("sg-1", rule, f)
			if err != nil {
				t.Errorf("ruleMatches(%v): %v", f, err)
			}
			return ok
		},
	}
	tests := []struct {
		kind    string
		filters []ec2Filter
		want    bool
	}{
		{"instance", nil, true},
		{"instance", []ec2Filter{filter("instance-id", "i-2", "i-1"), filter("subnet-id", "subnet-1")}, true},
		{"instance", []ec2Filter{filter("client-token", "other")}, false},
		{"instance", []ec2Filter{filter("tag:team", "data"), filter("tag-key", "nope", "env")}, true},
		{"instance", []ec2Filter{filter("tag:team", "ops")}, false},
		{"instance", []ec2Filter{filter("tag:owner", "data")}, false},
		{"instance", []ec2Filter{filter("tag-key", "owner")}, false},
		{"instance", []ec2Filter{filter("image-id", "ami-1")}, false},
		{"service", []ec2Filter{filter("service-id", "vpce-svc-1"), filter("service-state", "Available")}, true},
		{"service", []ec2Filter{filter("service-name", "other")}, false},
		{"service", []ec2Filter{filter("tag:env", "prod")}, true},
		{"service", []ec2Filter{filter("owner", "x")}, false},
		{"connection", []ec2Filter{filter("service-id", "vpce-svc-1"), filter("vpc-endpoint-id", "vpce-1"),
			filter("vpc-endpoint-owner", "111122223333")}, true},
		{"connection", []ec2Filter{filter("vpc-endpoint-id", "vpce-2")}, false},
		{"connection", []ec2Filter{filter("tag:team", "data")}, false},
		{"connection", []ec2Filter{filter("tag-key", "team")}, false},
		{"zone", []ec2Filter{filter("zone-name", "eu-west-1a"), filter("zone-id", "euw1-az1"),
			filter("zone-type", "availability-zone"), filter("state", "available"), filter("region-name", "eu-west-1")}, true},
		{"zone", []ec2Filter{filter("zone-id", "euw1-az2")}, false},
		{"zone", []ec2Filter{filter("group-name", "x"), filter("tag:team", "ops")}, true},
		{"zone", []ec2Filter{filter("group-name", "x"), filter("state", "impaired")}, false},
		{"rule", []ec2Filter{filter("group-id", "sg-1"), filter("security-group-rule-id", "sgr-1"), filter("tag:team", "data")}, true},
		{"rule", []ec2Filter{filter("group-id", "sg-2")}, false},
		{"rule", []ec2Filter{filter("tag-key", "owner")}, false},
		// A rule that fails an earlier filter is not checked against a later
		// unsupported one.
		{"rule", []ec2Filter{filter("group-id", "sg-2"), filter("ip-protocol", "tcp")}, false},
	}
	for _, tt := range tests {
		if got := matchers[tt.kind](tt.filters); got != tt.want {
			t.Errorf("%s matches %v: %t, want %t", tt.kind, tt.filters, got, tt.want)
		}
	}
}

func TestRuleFilterUnsupportedName(t *testing.T) {
	rule := SecurityGroupRule{ID: "sgr-1"}
	_, err := ruleMatches("sg-1", rule, []ec2Filter{filter("group-id", "sg-1"), filter("ip-protocol", "tcp")})
	if err == nil {
		t.Fatal("ruleMatches accepted the unsupported filter ip-protocol")
	}
	if got := err.Error(); got != "InvalidParameterValue: The filter 'ip-protocol' is invalid" {
		t.Errorf("error = %q, want InvalidParameterValue for ip-protocol", got)
	}
}

func TestSubnetFilters(t *testing.T) {
	tests := []struct {
		name    string
		vpc     string
		filters []ec2Filter
		want    bool
		wantVPC string
	}{
		{"no filters", "vpc-1", nil, true, "vpc-1"},
		{"unknown VPC without filter", "", nil, true, ""},
		{"unknown VPC takes the filter's", "", []ec2Filter{filter("vpc-id", "vpc-9", "vpc-8")}, true, "vpc-9"},
		{"unknown VPC and two vpc-id filters", "", []ec2Filter{filter("vpc-id", "vpc-9"), filter("vpc-id", "vpc-8")}, false, "vpc-9"},
		{"unknown VPC and an empty vpc-id filter", "", []ec2Filter{filter("vpc-id")}, false, ""},
		{"known VPC", "vpc-1", []ec2Filter{filter("vpc-id", "vpc-2")}, false, "vpc-1"},
		{"zone", "vpc-1", []ec2Filter{filter("availability-zone", "eu-west-1a"), filter("availability-zone-id", "euw1-az1")}, true, "vpc-1"},
		{"other zone", "vpc-1", []ec2Filter{filter("availability-zone", "eu-west-1b")}, false, "vpc-1"},
		{"unsupported name", "vpc-1", []ec2Filter{filter("state", "pending")}, true, "vpc-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			item := subnetXML{ID: "subnet-1", VPCID: tt.vpc, Zone: "eu-west-1a", ZoneID: "euw1-az1", State: "available"}
			if got := subnetMatches(&item, tt.filters); got != tt.want {
				t.Errorf("subnetMatches = %t, want %t", got, tt.want)
			}
			if tt.want && item.VPCID != tt.wantVPC {
				t.Errorf("listed VPC = %q, want %q", item.VPCID, tt.wantVPC)
			}
		})
	}
}
