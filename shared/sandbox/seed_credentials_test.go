package sandbox

import (
	"regexp"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

func TestIndexSecretGeneratorShapes(t *testing.T) {
	pat := regexp.MustCompile(`^[a-z2-7]{52}$`)
	tests := []struct {
		name, indexURL, authType string
		want                     *regexp.Regexp
	}{
		{"azure devops artifacts", "https://pkgs.dev.azure.com/acme/_packaging/corp/pypi/simple/", "password", pat},
		{"azure devops server", "https://devops.acme.example.com/Main/_packaging/corp/pypi/simple/", "password", pat},
		{"azure devops server token", "https://devops.acme.example.com/Main/_packaging/corp/pypi/simple/", "token", regexp.MustCompile(`^sandbox:[a-z2-7]{52}$`)},
		{"gitlab personal token", "https://gitlab.com/api/v4/projects/42/packages/pypi/simple/", "token", regexp.MustCompile(`^__token__:glpat-`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := request.Repository{IndexURL: tt.indexURL, Auth: request.Auth{Type: tt.authType, Username: "svc"}}
			got, err := indexSecretGenerator(repo)()
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want.MatchString(got) {
				t.Errorf("seeded secret does not match %s", tt.want)
			}
		})
	}
}
