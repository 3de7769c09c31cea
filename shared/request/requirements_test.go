package request

import (
	"testing"

	"github.com/repolink/repolink/shared/snowflake"
)

// The verify step puts each requirement into the PACKAGES list of a
// Snowflake function, and preflight installs it from the index, so the
// request must accept what both of them take.
func TestSplitRequirementAccepted(t *testing.T) {
	tests := []struct {
		requirement string
		name        string
	}{
		{"requests", "requests"},
		{"Zope.Interface", "Zope.Interface"},
		{"corp_utils==2.3.1", "corp_utils"},
		{"django~=4.2", "django"},
		{"numpy==1.26.*", "numpy"},
		{"requests[socks]>=2", "requests"},
		{"requests[socks,security]>=2.31,<3", "requests"},
		{"requests[ socks , security ] >= 2.31", "requests"},
		{"corp-utils[Extra.One]", "corp-utils"},
		{"legacy-tool===1.0-custom", "legacy-tool"},
	}
	for _, tt := range tests {
		name, problem := splitRequirement(tt.requirement)
		if problem != "" {
			t.Errorf("splitRequirement(%q) rejected: %s", tt.requirement, problem)
			continue
		}
		if name != tt.name {
			t.Errorf("splitRequirement(%q) name = %q, want %q", tt.requirement, name, tt.name)
		}
		if _, err := snowflake.RequirementName(tt.requirement); err != nil {
			t.Errorf("verify step rejects %q, which the request accepts: %v", tt.requirement, err)
		}
	}
}

func TestSplitRequirementRejected(t *testing.T) {
	for _, requirement := range []string{
		// The verify step rejects markers and URLs, because they need
		// quotes or characters that it does not put into SQL.
		`pywin32; sys_platform == "win32"`,
		"corp-utils @ https://pypi.example.com/corp_utils-2.3.1-py3-none-any.whl",
		"requests [socks]",
		"requests[socks",
		"requests[-socks]",
		"requests[socks]extra",
		"requests>=",
		"requests====1",
	} {
		if _, problem := splitRequirement(requirement); problem == "" {
			t.Errorf("splitRequirement(%q) accepted", requirement)
		}
	}
}
