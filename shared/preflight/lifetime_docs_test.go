package preflight

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestShortLivedLifetimeHosts checks the host rule by which a stored
// credential counts as a short-lived token, with the hosts that the README
// and docs/gcp.md use as examples.
func TestShortLivedLifetimeHosts(t *testing.T) {
	tests := []struct {
		name         string
		host, user   string
		wantLifetime time.Duration
		wantShort    bool
	}{
		{"artifact registry regional", "us-central1-python.pkg.dev", arTokenUser, time.Hour, true},
		{"artifact registry multi-region", "europe-python.pkg.dev", arTokenUser, time.Hour, true},
		{"artifact registry upper case", "US-Central1-Python.PKG.dev", arTokenUser, time.Hour, true},
		{"artifact registry key", "us-central1-python.pkg.dev", arKeyUser, 0, false},
		{"artifact registry docker host", "us-central1-docker.pkg.dev", arTokenUser, 0, false},
		{"custom domain", "pypi.corp.example.com", arTokenUser, 0, false},
		{"codeartifact", "corp-123456789012.d.codeartifact.us-west-2.amazonaws.com", "aws", 12 * time.Hour, true},
		{"codeartifact china", "corp-123456789012.d.codeartifact.cn-north-1.amazonaws.com.cn", "any", 12 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lifetime, short := ShortLivedLifetime(tt.host, tt.user)
			if short != tt.wantShort {
				t.Errorf("short-lived = %v, want %v", short, tt.wantShort)
			}
			if lifetime != tt.wantLifetime {
				t.Errorf("lifetime = %s, want %s", lifetime, tt.wantLifetime)
			}
		})
	}
}

// TestDocsStateTokenHostRule checks that the docs say an Artifact Registry
// access token counts as one only on a LOCATION-python.pkg.dev host, and
// that a custom domain gets no expiry record, because the user name
// oauth2accesstoken alone does not make ShortLivedLifetime record one.
func TestDocsStateTokenHostRule(t *testing.T) {
	for _, doc := range []string{"../../README.md", "../../docs/gcp.md"} {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(data)), " ")
		for _, want := range []string{
			"`oauth2accesstoken` on a host `LOCATION-python.pkg.dev`",
			"custom domain in front of Artifact Registry, gets no expiry record",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s does not say %q", doc, want)
			}
		}
	}
}
