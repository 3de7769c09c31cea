package request

import (
	"strings"
	"testing"
	"time"
)

const codeArtifactIndex = "https://corp-data-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/"

// codeArtifactAuth turns the example request into one of auth type
// codeartifact.
func codeArtifactAuth(r *Request) {
	r.Repository.IndexURL = codeArtifactIndex
	r.Repository.Auth = Auth{Type: AuthCodeArtifact}
}

func TestParseCodeArtifactURL(t *testing.T) {
	got, err := ParseCodeArtifactURL(codeArtifactIndex)
	if err != nil {
		t.Fatal(err)
	}
	want := CodeArtifactRepository{Domain: "corp-data", Owner: "111122223333", Region: "eu-west-1"}
	if got != want {
		t.Errorf("ParseCodeArtifactURL = %+v, want %+v", got, want)
	}
	for _, bad := range []string{
		"https://pypi.corp.example.com/simple/",
		"https://corp-11112222333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/",
		"https://corp-111122223333.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/",
		"not a url",
	} {
		if _, err := ParseCodeArtifactURL(bad); err == nil {
			t.Errorf("ParseCodeArtifactURL(%q) returned no error", bad)
		}
	}
}

func TestValidateCodeArtifactAuth(t *testing.T) {
	req, err := Parse([]byte(exampleJSON(t, "aws-privatelink.json")))
	if err != nil {
		t.Fatal(err)
	}
	codeArtifactAuth(&req)
	req.Repository.Auth.TokenDurationSeconds = 3600
	if err := req.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if got := req.Repository.Auth.CodeArtifactTokenDuration(); got != time.Hour {
		t.Errorf("CodeArtifactTokenDuration = %s, want 1h", got)
	}
	req.Repository.Auth.TokenDurationSeconds = 0
	if got := req.Repository.Auth.CodeArtifactTokenDuration(); got != 12*time.Hour {
		t.Errorf("default CodeArtifactTokenDuration = %s, want 12h", got)
	}
}

func TestValidateCodeArtifactAuthErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Request)
		path string
		want string
	}{
		{"other host", func(r *Request) { r.Repository.IndexURL = "https://pypi.corp.example.com/simple/" },
			"$.repository.index_url", "must be a CodeArtifact repository endpoint"},
		{"username", func(r *Request) { r.Repository.Auth.Username = "aws" },
			"$.repository.auth.username", "is not used with type codeartifact"},
		{"password ref", func(r *Request) { r.Repository.Auth.PasswordRef = "env:TOKEN" },
			"$.repository.auth.password_ref", "is not used with type codeartifact"},
		{"token ref", func(r *Request) { r.Repository.Auth.TokenRef = "env:TOKEN" },
			"$.repository.auth.token_ref", "is not used with type codeartifact"},
		{"short duration", func(r *Request) { r.Repository.Auth.TokenDurationSeconds = 60 },
			"$.repository.auth.token_duration_seconds", "is 60; set 900 to 43200 seconds"},
		{"long duration", func(r *Request) { r.Repository.Auth.TokenDurationSeconds = 86400 },
			"$.repository.auth.token_duration_seconds", "is 86400; set 900 to 43200 seconds"},
		{"duration on password", func(r *Request) {
			r.Repository.Auth = Auth{Type: "password", Username: "u", PasswordRef: "env:P", TokenDurationSeconds: 900}
		}, "$.repository.auth.token_duration_seconds", "is for type codeartifact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := validateOne(t, func(r *Request) {
				codeArtifactAuth(r)
				tt.edit(r)
			})
			if got.Path != tt.path {
				t.Errorf("path = %s, want %s", got.Path, tt.path)
			}
			if !strings.Contains(got.Message, tt.want) {
				t.Errorf("message = %q, want it to contain %q", got.Message, tt.want)
			}
		})
	}
}
