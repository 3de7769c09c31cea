package main

import (
	"os"
	"strings"
	"testing"
)

// TestStackDocListsServiceFunctions checks that the table of what the AWS
// stack contains lists every service handler of the bootstrap, and the
// EventBridge rule that invokes the notifier.
func TestStackDocListsServiceFunctions(t *testing.T) {
	data, err := os.ReadFile("../../docs/aws.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, found := strings.Cut(string(data), "\n## What the stack contains\n")
	if !found {
		t.Fatal("docs/aws.md has no section What the stack contains")
	}
	section, _, _ = strings.Cut(section, "\n## ")

	for _, handler := range []string{handlerPoller, handlerWebhook, handlerNotifier, handlerOperations} {
		if !strings.Contains(section, "`"+handler+"`") {
			t.Errorf("What the stack contains does not list the %s function", handler)
		}
	}
	if !strings.Contains(section, "| EventBridge rule | `<prefix>-notifier`") {
		t.Error("What the stack contains does not list the notifier's EventBridge rule <prefix>-notifier")
	}
}
