package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// openExecution returns an open execution of machine whose input is the
// AWS example request after edit.
func openExecution(t *testing.T, machine string, edit func(*request.Request)) engine.Execution {
	t.Helper()
	req, err := readRequest(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	edit(&req)
	input, err := json.Marshal(workflow.Document{Request: req})
	if err != nil {
		t.Fatal(err)
	}
	return engine.Execution{Name: "R-1", Machine: machine, Status: engine.StatusRunning, Input: input}
}

func TestResumeAdviceUpFlags(t *testing.T) {
	localPassword := func(r *request.Request) {
		r.Repository.Auth = request.Auth{Type: "password", Username: "u", PasswordRef: "env:INDEX_PASSWORD"}
		r.Snowflake.PrivateKeyRef = "env:SNOWFLAKE_KEY"
	}
	tests := []struct {
		name, machine, provisioned, runFlags string
		edit                                 func(*request.Request)
		want                                 []string
		unwanted                             []string
	}{
		{
			name: "provision with local refs", machine: provisionMachine, runFlags: " --sandbox --state-dir d", edit: localPassword,
			want: []string{"run 'repolink run --sandbox --state-dir d FILE'",
				"start 'repolink up --sandbox --state-dir d --allow-local-refs env:SNOWFLAKE_KEY,env:INDEX_PASSWORD' on this state directory with REPOLINK_WEBHOOK_SECRET set"},
			unwanted: []string{envAPIToken},
		},
		{
			name: "teardown reads only snowflake refs", machine: teardownMachine, provisioned: "R-1", runFlags: " --sandbox", edit: localPassword,
			want:     []string{"run 'repolink teardown --sandbox R-1', which resumes it", "start 'repolink up --sandbox --allow-local-refs env:SNOWFLAKE_KEY'"},
			unwanted: []string{"INDEX_PASSWORD"},
		},
		{
			name: "relative file has no up advice", machine: provisionMachine, runFlags: " --sandbox",
			edit:     func(r *request.Request) { r.Snowflake.PrivateKeyRef = "file:key.p8" },
			want:     []string{"run 'repolink run --sandbox FILE'"},
			unwanted: []string{"repolink up"},
		},
		{
			name: "real clouds need the API token", machine: provisionMachine, edit: func(*request.Request) {},
			want: []string{"start 'repolink up' on this state directory with REPOLINK_WEBHOOK_SECRET and REPOLINK_API_TOKEN set"},
		},
		{
			name: "codeartifact domain", machine: provisionMachine, runFlags: " --sandbox",
			edit: func(r *request.Request) {
				r.Repository.IndexURL = "https://corp-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/"
				r.Repository.Auth = request.Auth{Type: request.AuthCodeArtifact}
			},
			want: []string{"--codeartifact-domains arn:aws:codeartifact:us-east-1:111122223333:domain/corp"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := openExecution(t, tt.machine, tt.edit)
			got := resumeAdvice(x, tt.provisioned, "", tt.runFlags, storeFlagsOf(tt.runFlags))
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("advice lacks %q:\n%s", want, got)
				}
			}
			for _, unwanted := range tt.unwanted {
				if strings.Contains(got, unwanted) {
					t.Errorf("advice contains %q:\n%s", unwanted, got)
				}
			}
		})
	}
}
