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

func TestMayHaveBuilt(t *testing.T) {
	created := json.RawMessage(`{"proxy_vm":{"action":"created","id":"i-0abc"}}`)
	checked := json.RawMessage(`{"preflight":{"action":"checked","id":""}}`)
	tests := []struct {
		name      string
		lastTask  string
		resources json.RawMessage
		want      bool
	}{
		{name: "no task entered", lastTask: "", resources: nil, want: false},
		{name: "failed in preflight", lastTask: PreflightState, resources: nil, want: false},
		{name: "route failed after preflight", lastTask: PreflightState, resources: checked, want: false},
		{name: "failed in the first building step", lastTask: "ProxyVM", resources: checked, want: true},
		{name: "failed later with resources", lastTask: "Secret", resources: created, want: true},
		{name: "recorded resource", lastTask: "", resources: created, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MayHaveBuilt(tt.lastTask, tt.resources); got != tt.want {
				t.Errorf("MayHaveBuilt(%q, %s) = %v, want %v", tt.lastTask, tt.resources, got, tt.want)
			}
		})
	}
}
