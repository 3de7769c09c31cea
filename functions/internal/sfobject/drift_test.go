package sfobject

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/snowflake"
)

// describeConn returns props as the rows of DESCRIBE API INTEGRATION.
type describeConn struct {
	props map[string]string
}

func (c describeConn) Exec(context.Context, string) error { return errors.New("not allowed") }

func (c describeConn) Query(_ context.Context, stmt string) ([]snowflake.Row, error) {
	if !strings.HasPrefix(stmt, "DESCRIBE API INTEGRATION ") {
		return nil, errors.New("unexpected statement " + stmt)
	}
	var rows []snowflake.Row
	for k, v := range c.props {
		rows = append(rows, snowflake.Row{"property": k, "property_type": "String", "property_value": v, "property_default": ""})
	}
	return rows, nil
}

func matchingProps() map[string]string {
	return map[string]string{
		"ENABLED":                        "true",
		"API_PROVIDER":                   "ARTIFACT_REPOSITORY_API",
		"API_ALLOWED_PREFIXES":           "https://pypi.corp.example.com",
		"ALLOWED_AUTHENTICATION_SECRETS": "PLATFORM.PACKAGES.CORP_PYPI_SECRET",
		"USE_PRIVATELINK_ENDPOINT":       "false",
	}
}

var spec = IntegrationSpec{
	Prefixes: []string{"https://pypi.corp.example.com"},
	Secrets:  []string{"PLATFORM.PACKAGES.CORP_PYPI_SECRET"},
}

func TestIntegrationDriftByProperty(t *testing.T) {
	tests := []struct {
		name     string
		property string
		value    string
		want     []Drift
	}{
		{"matches", "", "", nil},
		{"bracketed list matches", "API_ALLOWED_PREFIXES", "[https://pypi.corp.example.com/]", nil},
		{"provider", "API_PROVIDER", "GIT_HTTPS_API", []Drift{{"API_PROVIDER", "GIT_HTTPS_API", "ARTIFACT_REPOSITORY_API"}}},
		{"prefixes", "API_ALLOWED_PREFIXES", "https://other.example", []Drift{{"API_ALLOWED_PREFIXES", "(https://other.example)", "(https://pypi.corp.example.com)"}}},
		{"all secrets", "ALLOWED_AUTHENTICATION_SECRETS", "ALL", []Drift{{"ALLOWED_AUTHENTICATION_SECRETS", "(ALL)", "(PLATFORM.PACKAGES.CORP_PYPI_SECRET)"}}},
		{"private endpoint", "USE_PRIVATELINK_ENDPOINT", "true", []Drift{{"USE_PRIVATELINK_ENDPOINT", "TRUE", "FALSE"}}},
		{"disabled", "ENABLED", "false", []Drift{{"ENABLED", "FALSE", "TRUE"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props := matchingProps()
			if tt.property != "" {
				props[tt.property] = tt.value
			}

			got, err := IntegrationDrift(context.Background(), describeConn{props}, "CORP_PYPI_INTEGRATION", spec)

			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("drift mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNeedsReplaceBySetting(t *testing.T) {
	for setting, want := range map[string]bool{
		"API_PROVIDER": true, "USE_PRIVATELINK_ENDPOINT": true, "TYPE": true, "API_INTEGRATION": true,
		"API_ALLOWED_PREFIXES": false, "ALLOWED_AUTHENTICATION_SECRETS": false, "ENABLED": false,
	} {
		if got := NeedsReplace([]Drift{{Setting: setting}}); got != want {
			t.Errorf("NeedsReplace(%s) = %v, want %v", setting, got, want)
		}
	}
}

func TestRepositoryDriftByColumn(t *testing.T) {
	tests := []struct {
		name string
		row  snowflake.Row
		want []Drift
	}{
		{"matches", snowflake.Row{"type": "PYPI", "api_integration": "CORP_PYPI_INTEGRATION"}, nil},
		{"other integration", snowflake.Row{"type": "PYPI", "api_integration": "OTHER_INT"}, []Drift{{"API_INTEGRATION", "OTHER_INT", "CORP_PYPI_INTEGRATION"}}},
		{"other type", snowflake.Row{"type": "APPLICATION", "api_integration": "CORP_PYPI_INTEGRATION"}, []Drift{{"TYPE", "APPLICATION", "PYPI"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RepositoryDrift(tt.row, "corp_pypi_integration")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("drift mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
