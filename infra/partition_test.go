package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every deployed definition takes the partition of its service
// integrations from the stack, so that it also runs in aws-cn and
// aws-us-gov.
func TestDefinitionsUseStackPartition(t *testing.T) {
	r := fullStack(t)
	for name, props := range machinesByName(r.json) {
		definition, _ := props["DefinitionString"].(string)
		if strings.Contains(definition, "arn:aws:") {
			t.Errorf("%s definition names the aws partition; want ${%s}", name, partitionSubstitution)
		}
		substitutions, _ := props["DefinitionSubstitutions"].(map[string]any)
		if !strings.Contains(definition, "${"+partitionSubstitution+"}") {
			continue
		}
		if diff := cmp.Diff(map[string]any{"Ref": "AWS::Partition"}, substitutions[partitionSubstitution]); diff != "" {
			t.Errorf("%s substitution ${%s} mismatch (-want +got):\n%s", name, partitionSubstitution, diff)
		}
	}

	definition := machinesByName(r.json)["repolink-provision"]["DefinitionString"].(string)
	var parsed map[string]any
	if err := json.Unmarshal([]byte(definition), &parsed); err != nil {
		t.Fatalf("provision definition is not JSON: %v", err)
	}
	callback := parsed["States"].(map[string]any)["AwaitEndpoint"].(map[string]any)
	want := "arn:${" + partitionSubstitution + "}:states:::lambda:invoke.waitForTaskToken"
	if got := callback["Resource"]; got != want {
		t.Errorf("AwaitEndpoint Resource = %v, want %s", got, want)
	}
}

func TestWithStackPartition(t *testing.T) {
	got, replaced := withStackPartition(`{"Resource": "arn:aws:states:::lambda:invoke", "Other": "arn:aws:lambda:x"}`)
	want := `{"Resource": "arn:${aws_partition}:states:::lambda:invoke", "Other": "arn:aws:lambda:x"}`
	if got != want || !replaced {
		t.Errorf("withStackPartition = %q, %v; want %q, true", got, replaced, want)
	}
	if _, replaced := withStackPartition(`{"Resource": "${preflight}"}`); replaced {
		t.Error("withStackPartition replaced a definition without service integrations")
	}
}
