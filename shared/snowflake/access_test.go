package snowflake

import (
	"errors"
	"strings"
	"testing"

	"github.com/snowflakedb/gosnowflake"
)

func TestErrorName(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"access control", &gosnowflake.SnowflakeError{Number: 3001, SQLState: "42501", Message: "SQL access control error:\nInsufficient privileges to operate on this object."}, "PermissionDenied"},
		{"other code with 42501", &gosnowflake.SnowflakeError{Number: 3003, SQLState: "42501"}, "PermissionDenied"},
		{"role not granted", &gosnowflake.SnowflakeError{Number: 390189, SQLState: "08004"}, "PermissionDenied"},
		{"jwt invalid", &gosnowflake.SnowflakeError{Number: 390144, SQLState: "08004"}, "PermissionDenied"},
		{"login 403", &gosnowflake.SnowflakeError{Number: 260008, SQLState: "08004"}, "PermissionDenied"},
		{"session expired", &gosnowflake.SnowflakeError{Number: 390112, SQLState: "08001"}, "Transient"},
		{"query 5xx", &gosnowflake.SnowflakeError{Number: 261000, SQLState: "08006"}, "Transient"},
		{"exhausted retries", errors.New("HTTP Status: 503"), "Transient"},
		{"syntax error", &gosnowflake.SnowflakeError{Number: 1003, SQLState: "42000"}, ""},
		{"does not exist", &gosnowflake.SnowflakeError{Number: 2003, SQLState: "02000"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sfErr *Error
			if !errors.As(classify("query", tt.err, false), &sfErr) {
				t.Fatal("classify did not return *Error")
			}
			if got := sfErr.ErrorName(); got != tt.want {
				t.Errorf("ErrorName() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClientAdviceNamesRoleAndGrant(t *testing.T) {
	denied := &gosnowflake.SnowflakeError{Number: 3001, SQLState: "42501", QueryID: "01b2-q",
		Message: "SQL access control error:\nInsufficient privileges to operate on this object."}
	tests := []struct {
		name string
		role string
		stmt string
		want []string
	}{
		{"endpoints info", "SYSADMIN", GetPrivateLinkEndpointsInfo(), []string{"role SYSADMIN", "ACCOUNTADMIN"}},
		{"endpoints info as accountadmin", "ACCOUNTADMIN", GetPrivateLinkEndpointsInfo(), []string{"Business Critical"}},
		{"secret", "SYSADMIN", CreateSecretPassword("D", "S", "N", "u", "p"), []string{"role SYSADMIN", "CREATE SECRET on the schema"}},
		{"integration", "SYSADMIN", CreateAPIIntegration("I", []string{"https://x/"}, []string{"D.S.N"}, true), []string{"role SYSADMIN", "CREATE INTEGRATION on the account"}},
		{"repository", "SYSADMIN", CreateArtifactRepository("D", "S", "R", "I", "https://x/simple/", "D.S.N"), []string{"role SYSADMIN", "CREATE ARTIFACT REPOSITORY on the schema"}},
		{"grant", "SYSADMIN", GrantUsageOnIntegration("I", "DATA_SCIENCE"), []string{"role SYSADMIN", "WITH GRANT OPTION"}},
		{"default role", "", "SHOW SECRETS IN SCHEMA D.S", []string{"the default role of the Snowflake user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &Client{user: "SVC", role: tt.role}
			err := client.classify("query", tt.stmt, denied)
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if !carriesSecret(tt.stmt) && !strings.Contains(err.Error(), "Insufficient privileges") {
				t.Errorf("error %q lost the server's message", err)
			}
		})
	}
}

func TestClientAdviceKeepsSecretWithheld(t *testing.T) {
	denied := &gosnowflake.SnowflakeError{Number: 3001, SQLState: "42501", Message: "denied 'hunter2'"}
	client := &Client{user: "SVC", role: "SYSADMIN"}
	err := client.classify("exec", CreateSecretPassword("D", "S", "N", "u", "hunter2"), denied)
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error contains the password: %s", err)
	}
	if !strings.Contains(err.Error(), "CREATE SECRET") {
		t.Errorf("error %q does not name the privilege to grant", err)
	}
}

func TestLoginAdvice(t *testing.T) {
	if got := loginAdvice(CodeRoleNotAuthorized, "SVC", "SYSADMIN"); !strings.Contains(got, "grant role SYSADMIN to user SVC") {
		t.Errorf("advice for an ungranted role = %q, want the GRANT ROLE to run", got)
	}
	if got := loginAdvice(CodeJWTInvalid, "SVC", "SYSADMIN"); !strings.Contains(got, "private key") {
		t.Errorf("advice for a rejected key = %q, want it to name the private key", got)
	}
}
