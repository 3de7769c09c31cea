package repoindex

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeName(t *testing.T) {
	tests := map[string]string{
		"requests":                  "requests",
		"My_Package":                "my-package",
		"zope.interface":            "zope-interface",
		"Foo__-.Bar":                "foo-bar",
		"SNOWFLAKE.Snowpark_python": "snowflake-snowpark-python",
	}
	for in, want := range tests {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVersionOrdering(t *testing.T) {
	// Each version is lower than the next.
	ordered := []string{
		"0.9", "1.0.dev1", "1.0a1", "1.0a2.dev1", "1.0a2", "1.0b1", "1.0rc1",
		"1.0", "1.0.post1", "1.0.1", "1.2", "1.10", "2.0", "1!0.1",
	}
	for i := 0; i+1 < len(ordered); i++ {
		lo, err := parseVersion(ordered[i])
		if err != nil {
			t.Fatal(err)
		}
		hi, err := parseVersion(ordered[i+1])
		if err != nil {
			t.Fatal(err)
		}
		if lo.compare(hi) >= 0 {
			t.Errorf("%s compares >= %s, want lower", ordered[i], ordered[i+1])
		}
	}
}

func TestVersionEquivalentSpellings(t *testing.T) {
	tests := [][2]string{
		{"1.0", "1.0.0"},
		{"1.0RC1", "1.0rc1"},
		{"1.0-1", "1.0.post1"},
		{"1.0r1", "1.0.post1"},
		{"v2.1", "2.1"},
		{"1.0alpha1", "1.0a1"},
	}
	for _, tt := range tests {
		a, err := parseVersion(tt[0])
		if err != nil {
			t.Fatalf("parse %q: %v", tt[0], err)
		}
		b, err := parseVersion(tt[1])
		if err != nil {
			t.Fatalf("parse %q: %v", tt[1], err)
		}
		if a.compare(b) != 0 {
			t.Errorf("%s and %s compare unequal, want equal", tt[0], tt[1])
		}
	}
	if _, err := parseVersion("not-a-version"); err == nil {
		t.Error("parseVersion(not-a-version) succeeded, want an error")
	}
}

func TestSpecifierMatches(t *testing.T) {
	tests := []struct {
		specs   string
		version string
		want    bool
	}{
		{"==2.32.3", "2.32.3", true},
		{"==2.32.3", "2.31.0", false},
		{"==2.*", "2.31.0", true},
		{"==2.*", "3.0", false},
		{"!=2.31.0", "2.31.0", false},
		{"!=2.31.*", "2.32.3", true},
		{">=2.31,<2.32", "2.31.0", true},
		{">=2.31,<2.32", "2.32.3", false},
		{">2.31.0", "2.31.0", false},
		{"<=1.0", "1.0", true},
		{"~=2.31", "2.32.3", true},
		{"~=2.31", "3.0", false},
		{"~=2.31.0", "2.32.0", false},
		{"===2.32.3", "2.32.3", true},
		{"===2.32.3", "2.32.3.0", false},
	}
	for _, tt := range tests {
		specs, err := parseSpecifiers(tt.specs)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.specs, err)
		}
		v, err := parseVersion(tt.version)
		if err != nil {
			t.Fatal(err)
		}
		if got := satisfies(specs, v, tt.version); got != tt.want {
			t.Errorf("%s satisfies %q = %t, want %t", tt.version, tt.specs, got, tt.want)
		}
	}
}

func TestParseRequirement(t *testing.T) {
	tests := []struct {
		in       string
		name     string
		numSpecs int
		wantErr  bool
	}{
		{in: "requests", name: "requests"},
		{in: "requests==2.32.3", name: "requests", numSpecs: 1},
		{in: "Snowflake_Snowpark.Python >= 1.0, <2", name: "snowflake-snowpark-python", numSpecs: 2},
		{in: "requests[socks] (>=2.0)", name: "requests", numSpecs: 1},
		{in: `requests>=2; python_version >= "3.8"`, name: "requests", numSpecs: 1},
		{in: "requests @ https://example.com/r.whl", wantErr: true},
		{in: "requests=>2", wantErr: true},
		{in: "~=1.0", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseRequirement(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("parseRequirement(%q) succeeded, want an error", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseRequirement(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff([2]any{tt.name, tt.numSpecs}, [2]any{got.name, len(got.specs)}); diff != "" {
			t.Errorf("parseRequirement(%q) name and clause count (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestVersionFromFilename(t *testing.T) {
	tests := []struct {
		filename, project, want string
	}{
		{"requests-2.32.3-py3-none-any.whl", "requests", "2.32.3"},
		{"snowflake_snowpark_python-1.25.0-py3-none-any.whl", "snowflake-snowpark-python", "1.25.0"},
		{"pkg-1.0-1-py3-none-any.whl", "pkg", "1.0"},
		{"corp-utils-2.3.1.tar.gz", "corp-utils", "2.3.1"},
		{"other-1.0.tar.gz", "corp-utils", ""},
		{"README.txt", "corp-utils", ""},
	}
	for _, tt := range tests {
		if got := versionFromFilename(tt.filename, tt.project); got != tt.want {
			t.Errorf("versionFromFilename(%q) = %q, want %q", tt.filename, got, tt.want)
		}
	}
}

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
