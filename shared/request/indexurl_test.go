package request

import (
	"strings"
	"testing"
)

func TestValidateProductIndexURL(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"artifactory without api/pypi", "https://art.acme.example.com/artifactory/pypi-remote/",
			"use https://art.acme.example.com/artifactory/api/pypi/<repository-key>/simple/"},
		{"artifactory without simple", "https://art.acme.example.com/artifactory/api/pypi/pypi-remote/",
			"points at JFrog Artifactory, but the path /artifactory/api/pypi/pypi-remote/ is not"},
		{"nexus without simple", "https://nexus.acme.example.com/repository/pypi-all/",
			"use https://nexus.acme.example.com/repository/<repository-name>/simple/"},
		{"codeartifact without simple", "https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/",
			"use https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/<repository>/simple/"},
		{"codeartifact root", "https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/simple/",
			"points at AWS CodeArtifact, but the path /simple/ is not"},
		{"artifact registry without simple", "https://europe-west1-python.pkg.dev/proj/repo/",
			"use https://europe-west1-python.pkg.dev/<project>/<repository>/simple/"},
		{"azure devops without pypi", "https://pkgs.dev.azure.com/acme/_packaging/corp/simple/",
			"points at Azure DevOps Artifacts, but the path /acme/_packaging/corp/simple/ is not"},
		{"gitlab without packages", "https://gitlab.acme.example.com/api/v4/projects/42/simple/",
			"use https://gitlab.acme.example.com/api/v4/projects/<project-id>/packages/pypi/simple/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Parse([]byte(exampleJSON(t, "public.json")))
			if err != nil {
				t.Fatal(err)
			}
			req.Repository.IndexURL = tt.url
			err = req.Validate()
			if err == nil {
				t.Fatalf("Validate accepted %s", tt.url)
			}
			got := fieldErrorsOf(t, err)
			if !strings.Contains(got["$.repository.index_url"], tt.want) {
				t.Errorf("index_url message = %q, want it to contain %q", got["$.repository.index_url"], tt.want)
			}
			if len(got) != 1 {
				t.Errorf("errors = %v, want only $.repository.index_url", got)
			}
		})
	}
}

func TestValidateProductIndexURLAccepts(t *testing.T) {
	for _, raw := range []string{
		"https://art.acme.example.com/artifactory/api/pypi/pypi-remote/simple/",
		"https://nexus.acme.example.com/repository/pypi-all/simple/",
		"https://pkgs.dev.azure.com/acme/data/_packaging/corp/pypi/simple/",
		"https://pkgs.dev.azure.com/acme/_packaging/corp/pypi/simple/",
		"https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/",
		"https://europe-west1-python.pkg.dev/proj/repo/simple/",
		"https://gitlab.com/api/v4/projects/42/packages/pypi/simple",
		"https://pypi.acme.example.com/root/corp/+simple/",
	} {
		req, err := Parse([]byte(exampleJSON(t, "public.json")))
		if err != nil {
			t.Fatal(err)
		}
		req.Repository.IndexURL = raw
		if err := req.Validate(); err != nil {
			t.Errorf("Validate(%s): %v", raw, err)
		}
	}
}
