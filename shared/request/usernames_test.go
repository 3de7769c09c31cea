package request

import (
	"errors"
	"strings"
	"testing"
)

// azureFieldErrors validates the Azure example after edit and returns its
// field errors.
func azureFieldErrors(t *testing.T, edit func(*Azure)) []FieldError {
	t.Helper()
	req, err := Parse([]byte(exampleJSON(t, "azure-privatelink.json")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	edit(req.Azure)
	var verr *ValidationError
	if err := req.Validate(); !errors.As(err, &verr) {
		if err != nil {
			t.Fatalf("Validate: %v", err)
		}
		return nil
	}
	return verr.Fields
}

func TestValidateRejectsReservedAzureAdmin(t *testing.T) {
	tests := []struct {
		name  string
		admin string
		want  string
	}{
		{"root", "root", `"root" is a user name that Azure reserves`},
		{"admin", "admin", `"admin" is a user name that Azure reserves`},
		{"administrator", "administrator", `"administrator" is a user name that Azure reserves`},
		{"upper case", "Admin", `"Admin" is a user name that Azure reserves`},
		{"single letter a", "a", `"a" is a user name that Azure reserves`},
		{"too long", strings.Repeat("u", 65), "is 65 characters long; Azure accepts at most 64"},
		{"blank", "   ", "is empty or only whitespace"},
		{"control character", "ops\u001b", "contains control characters (U+001B)"},
		{"space", "ops user", "contains the character U+0020 ' '"},
		{"colon", "ops:user", "contains the character U+003A ':'"},
		{"at sign", "ops@x", "contains the character U+0040 '@'"},
		{"leading hyphen", "-ops", "starts with '-'"},
		{"trailing period", "ops.", "ends with '.'"},
		{"accented letter", "opsé", "contains the character U+00E9 'é'"},
		{"zero width space", "ops\u200b", "contains the character U+200B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := azureFieldErrors(t, func(a *Azure) { a.AdminUsername = tt.admin })
			if len(fields) != 1 {
				t.Fatalf("field errors = %+v, want one", fields)
			}
			if fields[0].Path != "$.azure.admin_username" {
				t.Errorf("path = %q, want $.azure.admin_username", fields[0].Path)
			}
			if !strings.Contains(fields[0].Message, tt.want) {
				t.Errorf("message %q does not contain %q", fields[0].Message, tt.want)
			}
		})
	}
}

func TestValidateAcceptsAzureAdmin(t *testing.T) {
	for _, admin := range []string{"repolink", "ops-admin", "rooted", "Ops_2", "ops.admin", "_ops", strings.Repeat("u", 64)} {
		if fields := azureFieldErrors(t, func(a *Azure) { a.AdminUsername = admin }); len(fields) != 0 {
			t.Errorf("admin_username %q: field errors = %+v, want none", admin, fields)
		}
	}
}

func TestValidateRejectsUnclearIndexUsername(t *testing.T) {
	tests := []struct {
		name     string
		username string
		want     string
	}{
		{"leading space", " svc-snowflake", "has leading or trailing whitespace"},
		{"trailing space", "svc-snowflake ", "has leading or trailing whitespace"},
		{"trailing tab", "svc-snowflake\t", "has leading or trailing whitespace"},
		{"zero width space", "svc\u200bsnowflake", "invisible format character U+200B"},
		{"byte order mark", "\ufeffsvc-snowflake", "invisible format character U+FEFF"},
		{"no-break space", "svc\u00a0snowflake", "space character U+00A0"},
		{"escape", "svc\u001b[31m", "control characters (U+001B)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field := validateOne(t, func(r *Request) { r.Repository.Auth.Username = tt.username })
			if field.Path != "$.repository.auth.username" {
				t.Errorf("path = %q, want $.repository.auth.username", field.Path)
			}
			if !strings.Contains(field.Message, tt.want) {
				t.Errorf("message %q does not contain %q", field.Message, tt.want)
			}
			if strings.Contains(field.Message, "svc") {
				t.Errorf("message %q echoes the user name", field.Message)
			}
		})
	}
}
