package workflow

import (
	"encoding/json"
	"testing"
)

func TestBuiltAny(t *testing.T) {
	tests := []struct {
		name      string
		resources string
		want      bool
	}{
		{name: "empty", resources: `{}`, want: false},
		{name: "null", resources: `null`, want: false},
		{name: "not an object", resources: `[1]`, want: false},
		{name: "preflight only", resources: `{"preflight":{"action":"checked","id":"","packages":["requests"]}}`, want: false},
		{name: "skipped proxy", resources: `{"preflight":{"action":"checked","id":""},"proxy_vm":{"action":"skipped","id":""}}`, want: false},
		{name: "created proxy", resources: `{"preflight":{"action":"checked","id":""},"proxy_vm":{"action":"created","id":"i-0abc"}}`, want: true},
		{name: "adopted load balancer", resources: `{"load_balancer":{"action":"adopted","id":"arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/lb/1"}}`, want: true},
		{name: "updated secret", resources: `{"secret":{"action":"updated","id":"CORP_PYPI_SECRET"}}`, want: true},
		{name: "endpoint live without action", resources: `{"endpoint_live":{"endpoint_state":"CREATED","status":"Available"}}`, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BuiltAny(json.RawMessage(tt.resources)); got != tt.want {
				t.Errorf("BuiltAny(%s) = %v, want %v", tt.resources, got, tt.want)
			}
		})
	}
}
