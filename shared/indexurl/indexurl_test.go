package indexurl

import (
	"net/url"
	"testing"
)

func TestIdentify(t *testing.T) {
	tests := []struct {
		url, product string
		index        bool
	}{
		{"https://art.acme.example.com/artifactory/api/pypi/pypi-remote/simple/", "JFrog Artifactory", true},
		{"https://art.acme.example.com/api/pypi/pypi-remote/simple", "JFrog Artifactory", true},
		{"https://art.acme.example.com/artifactory/pypi-remote/", "JFrog Artifactory", false},
		{"https://art.acme.example.com/artifactory/api/pypi/pypi-remote/", "JFrog Artifactory", false},
		{"https://acme.jfrog.io/pypi/simple/", "JFrog Artifactory", false},
		{"https://nexus.acme.example.com/repository/pypi-all/simple/", "Sonatype Nexus Repository", true},
		{"https://acme.example.com/nexus/repository/pypi-all/simple/", "Sonatype Nexus Repository", true},
		{"https://nexus.acme.example.com/repository/pypi-all/", "Sonatype Nexus Repository", false},
		{"https://pkgs.dev.azure.com/acme/data/_packaging/corp/pypi/simple/", "Azure DevOps Artifacts", true},
		{"https://pkgs.dev.azure.com/acme/_packaging/corp/pypi/simple/", "Azure DevOps Artifacts", true},
		{"https://pkgs.dev.azure.com/acme/_packaging/corp/simple/", "Azure DevOps Artifacts", false},
		{"https://acme.pkgs.visualstudio.com/_packaging/corp/pypi/simple/", "Azure DevOps Artifacts", true},
		{"https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/", "AWS CodeArtifact", true},
		{"https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/", "AWS CodeArtifact", false},
		{"https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/simple/", "AWS CodeArtifact", false},
		{"https://europe-west1-python.pkg.dev/corp/pypi/simple/", "Google Artifact Registry", true},
		{"https://europe-west1-python.pkg.dev/corp/pypi/", "Google Artifact Registry", false},
		{"https://gitlab.com/api/v4/projects/42/packages/pypi/simple", "GitLab package registry", true},
		{"https://gitlab.com/api/v4/projects/acme%2Fcorp/packages/pypi/simple/", "GitLab package registry", true},
		{"https://git.acme.example.com/api/v4/groups/7/-/packages/pypi/simple/", "GitLab package registry", true},
		{"https://git.acme.example.com/api/v4/projects/42/packages/pypi/", "GitLab package registry", false},
		{"https://devops.acme.example.com/DefaultCollection/data/_packaging/corp/pypi/simple/", "Azure DevOps Server", true},
		{"https://devops.acme.example.com/DefaultCollection/_packaging/corp/pypi/simple", "Azure DevOps Server", true},
		{"https://devops.acme.example.com/tfs/DefaultCollection/data/_packaging/corp/pypi/simple/", "Azure DevOps Server", true},
		{"https://devops.acme.example.com/DefaultCollection/_packaging/corp/simple/", "Azure DevOps Server", false},
		{"https://devops.acme.example.com/DefaultCollection/_Packaging/corp/simple/", "Azure DevOps Server", false},
		{"https://devops.acme.example.com/DefaultCollection/_Packaging/corp/PyPI/simple/", "Azure DevOps Server", true},
		{"https://devops.acme.example.com/_packaging/corp/pypi/simple/", "Azure DevOps Server", false},
		{"https://devops.acme.example.com/a/b/c/_packaging/corp/pypi/simple/", "Azure DevOps Server", false},
		{"https://pypi.acme.example.com/simple/", "", false},
		{"https://pypi.acme.example.com/root/corp/+simple/", "", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		p, named := Identify(u)
		if p.Name != tt.product || named != (tt.product != "") {
			t.Errorf("Identify(%s) = %q, %v, want %q", tt.url, p.Name, named, tt.product)
			continue
		}
		if named && p.IsIndex(u.EscapedPath()) != tt.index {
			t.Errorf("IsIndex(%s) = %v, want %v", tt.url, !tt.index, tt.index)
		}
	}
}

func TestSplit(t *testing.T) {
	tests := []struct{ host, path, root, rest string }{
		{"corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com", "/pypi/main/simple/requests/", "/pypi/main/", "simple/requests/"},
		{"art.acme.example.com", "/artifactory/api/pypi/simple/simple/", "/artifactory/api/pypi/simple/", "simple/"},
		{"nexus.acme.example.com", "/repository/pypi-all/files/a-1.0-py3-none-any.whl", "/repository/pypi-all/", "files/a-1.0-py3-none-any.whl"},
		{"pypi.acme.example.com", "/simple/simple/", "/", "simple/simple/"},
		{"pypi.acme.example.com", "/root/corp/simple", "/root/corp/", "simple"},
		{"devops.acme.example.com", "/tfs/Main/data/_packaging/corp/pypi/simple/requests/", "/tfs/Main/data/_packaging/corp/pypi/", "simple/requests/"},
	}
	for _, tt := range tests {
		root, rest, ok := Split(tt.host, tt.path)
		if !ok || root != tt.root || rest != tt.rest {
			t.Errorf("Split(%s, %s) = %q, %q, %v, want %q, %q, true", tt.host, tt.path, root, rest, ok, tt.root, tt.rest)
		}
	}
	for _, tt := range []struct{ host, path string }{
		{"corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com", "/simple/"},
		{"art.acme.example.com", "/artifactory/pypi-remote/simple/"},
		{"devops.acme.example.com", "/Main/_packaging/corp/simple/"},
		{"pypi.acme.example.com", "/root/"},
	} {
		if root, rest, ok := Split(tt.host, tt.path); ok {
			t.Errorf("Split(%s, %s) = %q, %q, true, want false", tt.host, tt.path, root, rest)
		}
	}
}

func TestHostScope(t *testing.T) {
	tests := []struct{ host, want string }{
		{"us-central1-python.pkg.dev", "an Artifact Registry location"},
		{"EUROPE-WEST4-PYTHON.PKG.DEV", "an Artifact Registry location"},
		{"corp-111122223333.d.codeartifact.us-east-1.amazonaws.com", "a CodeArtifact domain"},
		{"corp-111122223333.d.codeartifact.cn-north-1.amazonaws.com.cn", "a CodeArtifact domain"},
		{"pkgs.dev.azure.com", ""},
		{"corp.jfrog.io", ""},
		{"pypi.corp.example.com", ""},
	}
	for _, tt := range tests {
		if got := HostScope(tt.host); got != tt.want {
			t.Errorf("HostScope(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}
