package snowflake

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/snowflakedb/gosnowflake"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name          string
		err           error
		wantCode      string
		wantTransient bool
		wantNotExist  bool
		wantAuth      bool
	}{
		{"does not exist", &gosnowflake.SnowflakeError{Number: 2003, SQLState: "02000", Message: "Object does not exist"}, "002003", false, true, false},
		{"syntax error", &gosnowflake.SnowflakeError{Number: 1003, SQLState: "42000"}, "001003", false, false, false},
		{"jwt invalid", &gosnowflake.SnowflakeError{Number: 390144, SQLState: "08004"}, "390144", false, false, true},
		{"wrong password", &gosnowflake.SnowflakeError{Number: 390100, SQLState: "08004"}, "390100", false, false, true},
		{"login 403", &gosnowflake.SnowflakeError{Number: 260008, SQLState: "08004"}, "260008", false, false, true},
		{"login 503", &gosnowflake.SnowflakeError{Number: 260007, SQLState: "08001"}, "260007", true, false, false},
		{"query 5xx", &gosnowflake.SnowflakeError{Number: 261000, SQLState: "08006"}, "261000", true, false, false},
		{"wrapped driver error", fmt.Errorf("ping: %w", &gosnowflake.SnowflakeError{Number: 2002}), "002002", false, false, false},
		{"deadline", context.DeadlineExceeded, "", true, false, false},
		{"unknown host", &net.DNSError{Name: "x.snowflakecomputing.com", IsNotFound: true}, "", false, false, false},
		{"connection refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, "", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify("query", tt.err, false)
			var sfErr *Error
			if !errors.As(err, &sfErr) {
				t.Fatalf("classify returned %T, want *Error", err)
			}
			if sfErr.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q", sfErr.Code, tt.wantCode)
			}
			if got := IsTransient(err); got != tt.wantTransient {
				t.Errorf("IsTransient = %v, want %v", got, tt.wantTransient)
			}
			if got := IsNotExist(err); got != tt.wantNotExist {
				t.Errorf("IsNotExist = %v, want %v", got, tt.wantNotExist)
			}
			if got := IsAuth(err); got != tt.wantAuth {
				t.Errorf("IsAuth = %v, want %v", got, tt.wantAuth)
			}
			if !errors.Is(err, tt.err) {
				t.Error("classified error does not wrap the original")
			}
		})
	}
}

func TestClassifyWithholdsSecretStatementText(t *testing.T) {
	// Snowflake echoes the unexpected token of a syntax error, which here
	// is a one-character password.
	tests := []struct {
		name string
		stmt string
		err  error
	}{
		{"create password", CreateSecretPassword("d", "s", "n", "svc", "x"),
			&gosnowflake.SnowflakeError{Number: 1003, SQLState: "42000", QueryID: "01b2-q", Message: "syntax error line 1 at position 80 unexpected 'x'."}},
		{"alter token", AlterSecretGeneric("d", "s", "n", "x"),
			&gosnowflake.SnowflakeError{Number: 1003, SQLState: "42000", QueryID: "01b2-q", Message: "syntax error line 1 at position 60 unexpected 'x'."}},
		{"driver text", CreateSecretGeneric("d", "s", "n", "x"),
			errors.New("exec 'x': HTTP Status: 503")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify("exec", tt.err, carriesSecret(tt.stmt))
			if strings.Contains(err.Error(), "'x'") {
				t.Errorf("error contains the password: %s", err)
			}
			if !strings.Contains(err.Error(), withheldMessage) {
				t.Errorf("error %q does not say that its message is withheld", err)
			}
		})
	}

	err := classify("exec", tests[0].err, true)
	var sfErr *Error
	if !errors.As(err, &sfErr) {
		t.Fatalf("error %T is not *Error", err)
	}
	if sfErr.Code != CodeSyntaxError {
		t.Errorf("code = %q, want %s", sfErr.Code, CodeSyntaxError)
	}
	if sfErr.QueryID != "01b2-q" {
		t.Errorf("query ID = %q, want 01b2-q", sfErr.QueryID)
	}
	if !IsTransient(classify("exec", tests[2].err, true)) {
		t.Error("HTTP 503 after retries of a secret statement is not transient")
	}
}

func TestClassifyKeepsOtherStatementText(t *testing.T) {
	driverErr := &gosnowflake.SnowflakeError{Number: 1003, SQLState: "42000", Message: "syntax error line 1 at position 40 unexpected 'requests'."}
	err := classify("exec", driverErr, carriesSecret("CREATE OR REPLACE TEMPORARY FUNCTION F() PACKAGES = ('requests')"))
	if !strings.Contains(err.Error(), "'requests'") {
		t.Errorf("error %q lost the server's message", err)
	}
}

func TestValidateAccount(t *testing.T) {
	tests := []struct {
		account string
		wantErr bool
	}{
		{"myorg-acct1", false},
		{"xy12345", false},
		{"xy12345.us-east-1", false},
		{"xy12345.us-east-2.aws", false},
		{"my_org-acct", false},
		{"", true},
		{"xy12345.us-east-1.privatelink", true},
		{"https://myorg-acct1.snowflakecomputing.com", true},
		{"myorg-acct1.snowflakecomputing.com", true},
		{"my org", true},
		{"a.b.c.d", true},
	}
	for _, tt := range tests {
		t.Run(tt.account, func(t *testing.T) {
			if err := ValidateAccount(tt.account); (err != nil) != tt.wantErr {
				t.Errorf("ValidateAccount(%q) = %v, want error %v", tt.account, err, tt.wantErr)
			}
		})
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"bad account", Config{Account: "x.privatelink", User: "u", Password: "p"}},
		{"no user", Config{Account: "myorg-a", Password: "p"}},
		{"no credentials", Config{Account: "myorg-a", User: "u"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Open(context.Background(), tt.cfg); err == nil {
				t.Error("Open succeeded, want a validation error")
			}
		})
	}
}

func TestCarriesSecret(t *testing.T) {
	tests := []struct {
		stmt string
		want bool
	}{
		{"CREATE SECRET IF NOT EXISTS DB.S.X TYPE = PASSWORD USERNAME = 'u' PASSWORD = 'p'", true},
		{"alter secret DB.S.X set password = 'p'", true},
		{"create or replace secret DB.S.X type = generic_string secret_string = 'p'", true},
		{"CREATE OR ALTER SECRET DB.S.X TYPE = GENERIC_STRING SECRET_STRING = 'p'", true},
		{"CREATE OR REPLACE TEMPORARY FUNCTION F() PACKAGES = ('requests')", false},
		{"SHOW SECRETS LIKE 'X' IN SCHEMA DB.S", false},
	}
	for _, tt := range tests {
		if got := carriesSecret(tt.stmt); got != tt.want {
			t.Errorf("carriesSecret(%q) = %v, want %v", tt.stmt, got, tt.want)
		}
	}
}

func TestClassifyExhaustedRetriesTransient(t *testing.T) {
	for _, status := range []string{"429", "503"} {
		err := classify("query", errors.New("timeout after 1m0s and 3 attempts. HTTP Status: "+status), false)
		if !IsTransient(err) {
			t.Errorf("HTTP %s after retries is not transient: %v", status, err)
		}
	}
	if err := classify("query", errors.New("HTTP Status: 403"), false); IsTransient(err) {
		t.Errorf("HTTP 403 is transient: %v", err)
	}
}
