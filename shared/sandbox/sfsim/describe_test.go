package sfsim

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/snowflake"
)

// properties returns DESCRIBE output as property → property_value, and
// checks that every row has the four DESCRIBE INTEGRATION columns.
func properties(t *testing.T, rows []snowflake.Row) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, row := range rows {
		for _, column := range []string{"property", "property_type", "property_value", "property_default"} {
			if _, ok := row[column]; !ok {
				t.Errorf("DESCRIBE row %v has no column %s", row, column)
			}
		}
		out[row["property"]] = row["property_value"]
	}
	return out
}

func TestDescribeIntegrationProperties(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	createObjects(t, client, "corp_secret", "corp_int", "corp_pypi", true)
	secret := snowflake.Qualified(testDB, testSchema, "corp_secret")
	mustExec(t, client, snowflake.AlterAPIIntegration("corp_int", []string{"https://" + testHost, "https://cdn.example.com"}, []string{secret}))

	got := properties(t, mustQuery(t, client, snowflake.DescribeAPIIntegration("corp_int")))

	want := map[string]string{
		"ENABLED":                        "true",
		"API_PROVIDER":                   "ARTIFACT_REPOSITORY_API",
		"API_ALLOWED_PREFIXES":           "https://" + testHost + ",https://cdn.example.com",
		"API_BLOCKED_PREFIXES":           "",
		"ALLOWED_AUTHENTICATION_SECRETS": "PLATFORM.PACKAGES.CORP_SECRET",
		"USE_PRIVATELINK_ENDPOINT":       "true",
		"COMMENT":                        "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DESCRIBE API INTEGRATION mismatch (-want +got):\n%s", diff)
	}
}

func TestDescribeMissingIntegration(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)

	_, err := client.Query(context.Background(), snowflake.DescribeAPIIntegration("missing_int"))
	if !snowflake.IsNotExist(err) {
		t.Errorf("DESCRIBE of a missing integration: %v, want does not exist", err)
	}
}

func TestAlterRepositoryIndexURL(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	createObjects(t, client, "corp_secret", "corp_int", "corp_pypi", false)

	mustExec(t, client, snowflake.AlterArtifactRepositoryIndexURL(testDB, testSchema, "corp_pypi", "https://"+testHost+"/other/simple/"))
	repo := sb.world.Accounts[accountKey(testAccount)].Databases[testDB].Schemas[testSchema].Repositories["CORP_PYPI"]
	if repo.IndexURL != "https://"+testHost+"/other/simple/" {
		t.Errorf("index URL after ALTER = %q, want the new URL", repo.IndexURL)
	}

	err := client.Exec(context.Background(), snowflake.AlterArtifactRepositoryIndexURL(testDB, testSchema, "corp_pypi", "https://elsewhere.example.com/simple/"))
	if err == nil || !strings.Contains(err.Error(), "API_ALLOWED_PREFIXES") {
		t.Errorf("ALTER to an index outside the prefixes: %v, want an API_ALLOWED_PREFIXES error", err)
	}
}
