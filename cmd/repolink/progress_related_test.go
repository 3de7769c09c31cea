package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/execview"
)

const (
	healthRule = "projects/corp/global/firewalls/rl-data-4911-allow-hc"
	natRule    = "projects/corp/global/firewalls/rl-data-4911-allow-psc"
)

// firewallResult is a teardown firewall step's result that deleted two
// rules.
var firewallResult = map[string]any{
	"action":  "deleted",
	"id":      healthRule,
	"related": []map[string]any{{"action": "deleted", "id": natRule}},
}

func TestProgressListsRelatedResources(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out)
	p.setFlags(true, "state")
	p.begin("DATA-4911-teardown", "sandbox")

	details, err := json.Marshal(map[string]any{
		"output": map[string]any{"resources": map[string]any{"teardown_gcp_firewall_rules": firewallResult}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.event(engine.Event{Execution: "DATA-4911-teardown", Type: "TaskStateExited", State: "TeardownGCPFirewallRules",
		Timestamp: time.Now(), Details: details})

	got := out.String()
	for _, id := range []string{healthRule, natRule} {
		if !strings.Contains(got, "deleted   "+id) {
			t.Errorf("progress does not list %s as deleted:\n%s", id, got)
		}
	}
}

func TestStatusListsRelatedResources(t *testing.T) {
	const (
		proxyVM    = "projects/corp/zones/us-central1-a/instances/rl-data-4911-proxy"
		proxyGroup = "projects/corp/zones/us-central1-a/instanceGroups/rl-data-4911-proxy"
	)
	cases := []struct {
		machine   string
		resources map[string]any
		// lines are patterns of the lines that status prints for the
		// resources: the step's own line and one line per related
		// resource.
		lines []string
	}{
		{
			machine:   execview.Teardown,
			resources: map[string]any{"teardown_gcp_firewall_rules": firewallResult},
			lines: []string{
				`(?m)^\s+teardown_gcp_firewall_rules\s+deleted\s+` + regexp.QuoteMeta(healthRule) + `$`,
				`(?m)^\s+deleted\s+` + regexp.QuoteMeta(natRule) + `$`,
			},
		},
		{
			// The result under proxy_vm is printed under the name of the
			// step that wrote it on the route, gcp_proxy_vm.
			machine: execview.Provision,
			resources: map[string]any{"proxy_vm": map[string]any{
				"action":  "created",
				"id":      proxyVM,
				"related": []map[string]any{{"action": "created", "id": proxyGroup}},
			}},
			lines: []string{
				`(?m)^\s+gcp_proxy_vm\s+created\s+` + regexp.QuoteMeta(proxyVM) + `$`,
				`(?m)^\s+created\s+` + regexp.QuoteMeta(proxyGroup) + `$`,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.machine, func(t *testing.T) {
			resources, err := json.Marshal(c.resources)
			if err != nil {
				t.Fatal(err)
			}
			input, err := json.Marshal(map[string]any{"request": map[string]any{"route": "gcp-privatelink"}})
			if err != nil {
				t.Fatal(err)
			}
			name := "DATA-4911-" + c.machine
			x := engine.Execution{Name: name, Machine: c.machine, Status: engine.StatusSucceeded, Input: input}
			v := execview.Execution{Name: name, Status: engine.StatusSucceeded, Resources: resources}
			var out bytes.Buffer
			writeStatus(&out, x, v, "", "")

			got := out.String()
			for _, line := range c.lines {
				if !regexp.MustCompile(line).MatchString(got) {
					t.Errorf("status has no line matching %s:\n%s", line, got)
				}
			}
		})
	}
}
