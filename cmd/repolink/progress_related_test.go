package main

import (
	"bytes"
	"encoding/json"
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
	resources, err := json.Marshal(map[string]any{"teardown_gcp_firewall_rules": firewallResult})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	v := execview.Execution{Name: "DATA-4911-teardown", Status: engine.StatusSucceeded, Resources: resources}
	writeStatus(&out, engine.Execution{}, v, "", "")

	got := out.String()
	for _, id := range []string{healthRule, natRule} {
		if !strings.Contains(got, id) {
			t.Errorf("status does not list %s:\n%s", id, got)
		}
	}
}
