package awssim

import (
	"strings"
	"testing"
)

func TestRegisterTargetsZoneOfAddress(t *testing.T) {
	s := startTest(t, Options{})
	status, body := post(t, s, "elasticloadbalancing", elbForm("CreateTargetGroup", "Name", "ip-tg", "Protocol", "TCP", "Port", "443",
		"VpcId", "vpc-0abc", "TargetType", "ip"))
	if status != 200 {
		t.Fatalf("CreateTargetGroup = %d %s", status, body)
	}
	arn := between(body, "<TargetGroupArn>", "</TargetGroupArn>")
	tests := []struct {
		name, address, zone, want string
	}{
		{"outside the VPC without a zone", "172.16.5.5", "", "The Availability Zone is required"},
		{"inside the VPC in zone all", "10.0.1.25", "all", "cannot have its Availability Zone overridden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := elbForm("RegisterTargets", "TargetGroupArn", arn, "Targets.member.1.Id", tt.address, "Targets.member.1.Port", "443")
			if tt.zone != "" {
				form.Set("Targets.member.1.AvailabilityZone", tt.zone)
			}
			status, body := post(t, s, "elasticloadbalancing", form)
			if status != 400 || !strings.Contains(body, "ValidationError") || !strings.Contains(body, tt.want) {
				t.Errorf("RegisterTargets = %d %s, want ValidationError %q", status, body, tt.want)
			}
		})
	}
}

// between returns the text of body between the first start and the end
// after it, or "".
func between(body, start, end string) string {
	_, rest, ok := strings.Cut(body, start)
	if !ok {
		return ""
	}
	value, _, _ := strings.Cut(rest, end)
	return value
}
