package pyindex

import "testing"

func TestRepositoryPath(t *testing.T) {
	tests := map[string]string{
		"/pypi/main/simple/":             "/simple/",
		"/pypi/main/simple/requests/":    "/simple/requests/",
		"/pypi/main/files/a-1.0.whl":     "/files/a-1.0.whl",
		"/simple/requests/":              "/simple/requests/",
		"/pypi/main/other/":              "/pypi/main/other/",
		"/pypi/main":                     "/pypi/main",
		"/files/a-1.0.whl":               "/files/a-1.0.whl",
		"/pypi/main/simple-extra/x":      "/pypi/main/simple-extra/x",
		"/pypi/main/simple":              "/simple",
		"/artifactory/api/pypi/x/simple": "/artifactory/api/pypi/x/simple",
	}
	for path, want := range tests {
		if got := repositoryPath(path); got != want {
			t.Errorf("repositoryPath(%q) = %q, want %q", path, got, want)
		}
	}
}
