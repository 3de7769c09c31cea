package main

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// TestNewAppCodeArtifactDomains checks that the functions get tokens only
// for the domains in REPOLINK_CODEARTIFACT_DOMAINS, and for none when it is
// unset.
func TestNewAppCodeArtifactDomains(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	logger := slog.New(slog.DiscardHandler)
	repo := request.CodeArtifactRepository{Domain: "corp", Owner: "111122223333", Region: "eu-west-1"}
	var req request.Request
	req.Repository.IndexURL = "https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/"
	req.Repository.Auth.Type = request.AuthCodeArtifact

	for _, handler := range []string{"preflight", "secret", handlerPoller} {
		unset, err := newApp(context.Background(), config{Handler: handler, Region: "us-west-2"}, logger)
		if err != nil {
			t.Fatalf("newApp(%s): %v", handler, err)
		}
		_, err = unset.adapters.Env().CodeArtifactToken(context.Background(), req)
		if workflow.NameOf(err) != workflow.ErrInvalidRequest {
			t.Errorf("%s without a domain list: error = %v, want %s", handler, err, workflow.ErrInvalidRequest)
		} else if !strings.Contains(err.Error(), "codeArtifactDomainArns") {
			t.Errorf("%s: error %q does not name codeArtifactDomainArns", handler, err)
		}

		listed, err := newApp(context.Background(), config{Handler: handler, Region: "us-west-2",
			CodeArtifactDomains: "arn:aws:codeartifact:eu-west-1:111122223333:domain/corp"}, logger)
		if err != nil {
			t.Fatalf("newApp(%s) with a domain list: %v", handler, err)
		}
		domains := listed.adapters.Env().CodeArtifactDomains
		if domains == nil || !domains.Allows(repo) {
			t.Errorf("%s: the listed domain is not allowed", handler)
		}
	}
}
