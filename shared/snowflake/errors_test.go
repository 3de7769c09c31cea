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
			err := classify("query", tt.err, nil)
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

func TestClassifyRedactsLiterals(t *testing.T) {
	stmt := CreateSecretPassword("d", "s", "n", "svc", "s3cr3t'value")
	driverErr := &gosnowflake.SnowflakeError{Number: 1003, SQLState: "42000", Message: "syntax error line 1 at position 80 unexpected 's3cr3t'value'"}
	err := classify("exec", driverErr, stringLiterals(stmt))
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error message contains the secret: %s", err)
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

func TestSecretLiterals(t *testing.T) {
	if got := secretLiterals("CREATE SECRET IF NOT EXISTS DB.S.X TYPE = PASSWORD USERNAME = 'u' PASSWORD = 'p4ssword'"); len(got) == 0 {
		t.Error("CREATE SECRET literals are not redacted")
	}
	if got := secretLiterals("alter secret DB.S.X set password = 'p4ssword'"); len(got) == 0 {
		t.Error("ALTER SECRET literals are not redacted")
	}
	if got := secretLiterals("CREATE OR REPLACE TEMPORARY FUNCTION F() PACKAGES = ('requests')"); len(got) != 0 {
		t.Errorf("function literals are redacted: %v", got)
	}
}

func TestClassifyExhaustedRetriesTransient(t *testing.T) {
	for _, status := range []string{"429", "503"} {
		err := classify("query", errors.New("timeout after 1m0s and 3 attempts. HTTP Status: "+status), nil)
		if !IsTransient(err) {
			t.Errorf("HTTP %s after retries is not transient: %v", status, err)
		}
	}
	if err := classify("query", errors.New("HTTP Status: 403"), nil); IsTransient(err) {
		t.Errorf("HTTP 403 is transient: %v", err)
	}
}
