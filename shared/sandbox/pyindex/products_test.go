package pyindex

import (
	"net/http"
	"testing"
)

// productGet returns the response to GET path on the index for host, as the
// Host header names it, with user and pass as basic auth.
func productGet(t *testing.T, idx *Index, host, path, user, pass string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+idx.Addr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.SetBasicAuth(user, pass)
	resp, err := newClient(idx).Do(req)
	if err != nil {
		t.Fatalf("GET %s for host %s: %v", path, host, err)
	}
	resp.Body.Close()
	return response{status: resp.StatusCode, location: resp.Header.Get("Location")}
}

func TestIndexServesProductPaths(t *testing.T) {
	idx := startIndex(t)
	file := idx.Files()[0].Filename

	tests := []struct{ name, host, root, user string }{
		{"artifactory", "art.acme.example.com", "/artifactory/api/pypi/pypi-remote/", "svc"},
		{"artifactory without context path", "art.acme.example.com", "/api/pypi/pypi-remote/", "svc"},
		{"jfrog cloud", "acme.jfrog.io", "/artifactory/api/pypi/pypi/", "svc"},
		{"nexus", "nexus.acme.example.com", "/repository/pypi-all/", "svc"},
		{"nexus context path", "acme.example.com", "/nexus/repository/pypi-all/", "svc"},
		{"azure devops project feed", "pkgs.dev.azure.com", "/acme/data/_packaging/corp/pypi/", "any"},
		{"azure devops organization feed", "pkgs.dev.azure.com", "/acme/_packaging/corp/pypi/", "any"},
		{"azure devops legacy host", "acme.pkgs.visualstudio.com", "/_packaging/corp/pypi/", "any"},
		{"azure devops server", "devops.acme.example.com", "/tfs/Main/data/_packaging/corp/pypi/", "any"},
		{"codeartifact", "corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com", "/pypi/main/", "aws"},
		{"artifact registry", "europe-west1-python.pkg.dev", "/corp/pypi/", "_json_key_base64"},
		{"gitlab project", "gitlab.com", "/api/v4/projects/42/packages/pypi/", "__token__"},
		{"gitlab group", "gitlab.acme.example.com", "/api/v4/groups/7/-/packages/pypi/", "deploy"},
		{"plain index", "pypi.acme.example.com", "/", "svc"},
		{"plain index under a path", "pypi.acme.example.com", "/root/corp/", "svc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := idx.SetCredential(tt.host, tt.name, tt.user, "secret"); err != nil {
				t.Fatal(err)
			}
			if got := productGet(t, idx, tt.host, tt.root+"simple/", tt.user, "secret"); got.status != http.StatusOK {
				t.Errorf("index root: status = %d, want 200", got.status)
			}
			if got := productGet(t, idx, tt.host, tt.root+"simple/requests/", tt.user, "secret"); got.status != http.StatusOK {
				t.Errorf("project page: status = %d, want 200", got.status)
			}
			got := productGet(t, idx, tt.host, tt.root+"simple/Requests", tt.user, "secret")
			if want := tt.root + "simple/requests/"; got.status != http.StatusMovedPermanently || got.location != want {
				t.Errorf("unnormalised name = %d %q, want 301 %q", got.status, got.location, want)
			}
			if got := productGet(t, idx, tt.host, tt.root+"files/"+file, tt.user, "secret"); got.status != http.StatusOK {
				t.Errorf("file: status = %d, want 200", got.status)
			}
		})
	}
}

func TestIndexRejectsWrongProductPaths(t *testing.T) {
	idx := startIndex(t)

	tests := []struct{ name, host, path, user string }{
		{"artifactory without api/pypi", "art.acme.example.com", "/artifactory/pypi-remote/simple/", "svc"},
		{"nexus without repository name", "nexus.acme.example.com", "/repository/simple/", "svc"},
		{"codeartifact root", "corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com", "/simple/", "aws"},
		{"codeartifact without repository", "corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com", "/pypi/simple/", "aws"},
		{"artifact registry without repository", "europe-west1-python.pkg.dev", "/corp/simple/", "oauth2accesstoken"},
		{"azure devops without pypi", "pkgs.dev.azure.com", "/acme/_packaging/corp/simple/", "svc"},
		{"azure devops server without pypi", "devops.acme.example.com", "/Main/_packaging/corp/simple/", "svc"},
		{"gitlab without packages", "gitlab.com", "/api/v4/projects/42/simple/", "svc"},
		{"plain index without simple", "pypi.acme.example.com", "/root/corp/", "svc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := idx.SetCredential(tt.host, tt.name, tt.user, "secret"); err != nil {
				t.Fatal(err)
			}
			if got := productGet(t, idx, tt.host, tt.path, tt.user, "secret"); got.status != http.StatusNotFound {
				t.Errorf("status = %d, want 404", got.status)
			}
		})
	}
}

func TestIndexProductUserNames(t *testing.T) {
	idx := startIndex(t)
	const codeArtifact = "corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com"
	const registry = "europe-west1-python.pkg.dev"
	for _, c := range []struct{ host, user string }{
		{codeArtifact, "aws"}, {codeArtifact, "alice"},
		{registry, "oauth2accesstoken"}, {registry, "alice"},
		{"pkgs.dev.azure.com", "alice"},
	} {
		if err := idx.SetCredential(c.host, c.user, c.user, "secret"); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name, host, path, user string
		want                   int
	}{
		{"codeartifact user aws", codeArtifact, "/pypi/main/simple/", "aws", http.StatusOK},
		{"codeartifact other user", codeArtifact, "/pypi/main/simple/", "alice", http.StatusUnauthorized},
		{"artifact registry token user", registry, "/corp/pypi/simple/", "oauth2accesstoken", http.StatusOK},
		{"artifact registry other user", registry, "/corp/pypi/simple/", "alice", http.StatusUnauthorized},
		{"azure devops any user", "pkgs.dev.azure.com", "/acme/_packaging/corp/pypi/simple/", "alice", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := productGet(t, idx, tt.host, tt.path, tt.user, "secret"); got.status != tt.want {
				t.Errorf("status = %d, want %d", got.status, tt.want)
			}
		})
	}

	// The credential that the index accepts for every host does not let
	// another user name in either.
	if got := productGet(t, idx, codeArtifact, "/pypi/main/simple/", testUser, testPassword); got.status != http.StatusUnauthorized {
		t.Errorf("index-wide credential: status = %d, want 401", got.status)
	}
}
