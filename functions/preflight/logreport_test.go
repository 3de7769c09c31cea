package preflight

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	checks "github.com/repolink/repolink/shared/preflight"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// TestLogReportCredentialExpiry checks that the expiry of a credential is
// logged as a warning only when repolink cannot renew it: a CodeArtifact
// token is renewed, while a stored password or token is not.
func TestLogReportCredentialExpiry(t *testing.T) {
	expires := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name     string
		auth     request.Auth
		wantWarn bool
	}{
		{"codeartifact", request.Auth{Type: request.AuthCodeArtifact, TokenDurationSeconds: 900}, false},
		{"password", request.Auth{Type: "password", Username: testUser, PasswordRef: passwordRef}, true},
		{"token", request.Auth{Type: "token", TokenRef: passwordRef}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			env := &workflow.Env{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			in := document()
			in.Request.Repository.Auth = tt.auth
			report := checks.Report{IndexURL: in.Request.Repository.IndexURL, CredentialExpiresAt: &expires}

			logReport(env, in, report)

			warned := strings.Contains(logs.String(), "repository credential expires soon")
			if warned != tt.wantWarn {
				t.Errorf("expiry warning logged = %v, want %v; logs:\n%s", warned, tt.wantWarn, logs.String())
			}
			if !strings.Contains(logs.String(), "preflight finished") {
				t.Errorf("logs lack the preflight summary:\n%s", logs.String())
			}
		})
	}
}
