package clash_test

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/request/clash"
)

// TestOneHostProductAdvice checks the advice for a clash on an Artifact
// Registry or CodeArtifact host, which every repository of a location or
// domain shares. Each message that suggests a change of host offers a
// teardown or another Snowflake account, not another host name.
func TestOneHostProductAdvice(t *testing.T) {
	hosts := []struct{ host, scope string }{
		{"us-central1-python.pkg.dev", "an Artifact Registry location"},
		{"corp-111122223333.d.codeartifact.us-east-1.amazonaws.com", "a CodeArtifact domain"},
	}
	holder := clash.Holder{Request: "DATA-4911", Execution: "DATA-4911", Status: "SUCCEEDED"}
	for _, tt := range hosts {
		t.Run(tt.host, func(t *testing.T) {
			rejection := clash.Rejection{RequestID: "DATA-4912", Route: request.RouteGCPPrivateLink, Account: "myorg-analytics",
				Holder: holder, Commands: testCommands, Retry: "send the request again"}
			redriven := rejection
			redriven.Redriven = "DATA-4912-1"
			account := "another Snowflake account in $.snowflake.account, because every repository of " + tt.scope + " has the host name " + tt.host
			messages := map[string]struct{ message, want string }{
				"host": {rejection.Host(tt.host),
					"tear down request DATA-4911 first with 'teardown DATA-4911', or use " + account + ", and then send the request again"},
				"host of a redrive": {redriven.Host(tt.host),
					"start the request as a new run with " + account},
				"index host in extra prefix": {rejection.SharedHost(tt.host, request.IndexURLField, "$.repository.extra_allowed_prefixes[0]"),
					"tear down request DATA-4911 first with 'teardown DATA-4911', or use " + account + ", and then send the request again"},
			}
			for name, m := range messages {
				if !strings.Contains(m.message, m.want) {
					t.Errorf("%s message lacks %q:\n%s", name, m.want, m.message)
				}
				if strings.Contains(m.message, "another host name") {
					t.Errorf("%s message suggests another host name, which %s does not have:\n%s", name, tt.scope, m.message)
				}
			}
		})
	}
}
