package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

const sandboxCodeArtifactDomain = "arn:aws:codeartifact:us-west-2:111122223333:domain/corp"

// TestUpRejectsUnlistedCodeArtifactDomain posts a request of auth type
// codeartifact to a service started without --codeartifact-domains, which
// must reject it before an execution starts.
func TestUpRejectsUnlistedCodeArtifactDomain(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none",
		"--sandbox-hosts", "corp-111122223333.d.codeartifact.us-west-2.amazonaws.com")

	message := postRejectedRequest(t, up.url, "CA-UNLISTED-1", codeArtifactRequest, "$.repository.index_url")
	for _, want := range []string{sandboxCodeArtifactDomain, "--codeartifact-domains"} {
		if !strings.Contains(message, want) {
			t.Errorf("message %q does not contain %q", message, want)
		}
	}
}

// TestUpCodeArtifactDomainCheck checks the intake of repolink up, for the
// webhook and for StartExecution, with and without the domain listed.
func TestUpCodeArtifactDomainCheck(t *testing.T) {
	req, err := readRequest(writeRequest(t, codeArtifactRequest))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		list    string
		allowed bool
	}{
		{"no list", "", false},
		{"other domain", "arn:aws:codeartifact:us-west-2:111122223333:domain/other", false},
		{"listed domain", sandboxCodeArtifactDomain, true},
		{"any domain", "*", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			domains, err := workflow.ParseCodeArtifactDomains(tt.list, codeArtifactDomainsFix)
			if err != nil {
				t.Fatal(err)
			}
			s := &serviceExecutions{codeArtifactDomains: domains}
			for name, check := range map[string]func(request.Request) error{"check": s.check, "checkAPIStart": s.checkAPIStart} {
				err := check(req)
				var invalid *request.ValidationError
				switch {
				case tt.allowed && err != nil:
					t.Errorf("%s = %v, want nil", name, err)
				case !tt.allowed && !errors.As(err, &invalid):
					t.Errorf("%s = %v, want a *request.ValidationError", name, err)
				case !tt.allowed && invalid.Fields[0].Path != "$.repository.index_url":
					t.Errorf("%s field = %s, want $.repository.index_url", name, invalid.Fields[0].Path)
				}
			}
		})
	}
}

// TestUpStepsUseCodeArtifactDomains checks that the steps of repolink up
// check the list too, for executions that reach the engine without the
// intake checks, while a runtime of an operator's command allows every
// domain.
func TestUpStepsUseCodeArtifactDomains(t *testing.T) {
	req, err := readRequest(writeRequest(t, codeArtifactRequest))
	if err != nil {
		t.Fatal(err)
	}
	none, err := workflow.ParseCodeArtifactDomains("", codeArtifactDomainsFix)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := openRuntime(context.Background(), runtimeOptions{dir: t.TempDir(), noExecutions: true,
		codeArtifactDomains: &none, logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	_, err = rt.env.CodeArtifactToken(context.Background(), req)
	if workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Fatalf("CodeArtifactToken = %v, want %s", err, workflow.ErrInvalidRequest)
	}
	if !strings.Contains(err.Error(), "--codeartifact-domains") {
		t.Errorf("error %q does not name --codeartifact-domains", err)
	}

	operator, err := openRuntime(context.Background(), runtimeOptions{dir: t.TempDir(), noExecutions: true, logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer operator.Close()
	if operator.env.CodeArtifactDomains != nil {
		t.Error("the runtime of an operator's command limits the CodeArtifact domains")
	}
}

func TestUpCodeArtifactDomainsFlag(t *testing.T) {
	opts, err := parseUpFlags([]string{"--codeartifact-domains", sandboxCodeArtifactDomain}, io.Discard)
	if err != nil {
		t.Fatalf("parseUpFlags: %v", err)
	}
	repo := request.CodeArtifactRepository{Domain: "corp", Owner: "111122223333", Region: "us-west-2"}
	if !opts.codeArtifactDomains.Allows(repo) {
		t.Error("the listed domain is not allowed")
	}
	_, err = parseUpFlags([]string{"--codeartifact-domains", "corp"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--codeartifact-domains") {
		t.Errorf("parseUpFlags with a domain name = %v, want an error naming --codeartifact-domains", err)
	}
}
