package integration

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// differentIntegrations are existing integrations named like the request's
// that differ from it in one setting: the CREATE statement's properties,
// the setting, and its existing and expected values.
var differentIntegrations = []struct {
	name       string
	properties string
	setting    string
	existing   string
	expected   string
}{
	{
		"other index host",
		"API_ALLOWED_PREFIXES = ('https://pypi.other.example') ALLOWED_AUTHENTICATION_SECRETS = (PLATFORM.PACKAGES.CORP_PYPI_SECRET) ENABLED = TRUE",
		"API_ALLOWED_PREFIXES", "(https://pypi.other.example)", "(https://pypi.example.internal)",
	},
	{
		"extra prefix",
		"API_ALLOWED_PREFIXES = ('https://pypi.example.internal', 'https://mirror.other.example') ALLOWED_AUTHENTICATION_SECRETS = (PLATFORM.PACKAGES.CORP_PYPI_SECRET) ENABLED = TRUE",
		"API_ALLOWED_PREFIXES", "(https://pypi.example.internal, https://mirror.other.example)", "(https://pypi.example.internal)",
	},
	{
		"other secret",
		"API_ALLOWED_PREFIXES = ('https://pypi.example.internal') ALLOWED_AUTHENTICATION_SECRETS = (PLATFORM.PACKAGES.OTHER_SECRET) ENABLED = TRUE",
		"ALLOWED_AUTHENTICATION_SECRETS", "(PLATFORM.PACKAGES.OTHER_SECRET)", "(PLATFORM.PACKAGES.CORP_PYPI_SECRET)",
	},
	{
		"private endpoint",
		"API_ALLOWED_PREFIXES = ('https://pypi.example.internal') ALLOWED_AUTHENTICATION_SECRETS = (PLATFORM.PACKAGES.CORP_PYPI_SECRET) USE_PRIVATELINK_ENDPOINT = TRUE ENABLED = TRUE",
		"USE_PRIVATELINK_ENDPOINT", "TRUE", "FALSE",
	},
	{
		"disabled",
		"API_ALLOWED_PREFIXES = ('https://pypi.example.internal') ALLOWED_AUTHENTICATION_SECRETS = (PLATFORM.PACKAGES.CORP_PYPI_SECRET) ENABLED = FALSE",
		"ENABLED", "FALSE", "TRUE",
	},
}

// startWithIntegration starts the sandbox with the request's secret, a
// secret OTHER_SECRET, and the integration CORP_PYPI_INTEGRATION created
// with properties and comment.
func startWithIntegration(t *testing.T, properties, comment string) (*sfsandbox.Sandbox, workflow.Document) {
	t.Helper()
	sb := sfsandbox.Start(t)
	sb.Exec(t, snowflake.CreateSecretGeneric("PLATFORM", "PACKAGES", "CORP_PYPI_SECRET", "token-value"))
	sb.Exec(t, snowflake.CreateSecretGeneric("PLATFORM", "PACKAGES", "OTHER_SECRET", "other-token"))
	sb.ExecWithComment(t, "CREATE API INTEGRATION CORP_PYPI_INTEGRATION API_PROVIDER = ARTIFACT_REPOSITORY_API "+properties, comment)
	return sb, sb.Document()
}

func TestSandboxHandMadeIntegrationDiffers(t *testing.T) {
	for _, tt := range differentIntegrations {
		t.Run(tt.name, func(t *testing.T) {
			sb, doc := startWithIntegration(t, tt.properties, "")

			_, err := Run(t.Context(), sb.Env, doc)

			if name := workflow.NameOf(err); name != workflow.ErrConflict {
				t.Fatalf("Run error = %v (%s), want a Conflict", err, name)
			}
			for _, want := range []string{"API integration CORP_PYPI_INTEGRATION", tt.setting + " is " + tt.existing, "the request expects " + tt.expected} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestSandboxOwnIntegrationUpdated(t *testing.T) {
	for _, tt := range differentIntegrations {
		t.Run(tt.name, func(t *testing.T) {
			sb, doc := startWithIntegration(t, tt.properties, sfobject.OwnerComment(sfsandbox.RequestID))

			out, err := Run(t.Context(), sb.Env, doc)

			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if out.Action != workflow.Updated {
				t.Errorf("action = %q, want %q", out.Action, workflow.Updated)
			}
			spec, err := sfobject.ExpectedIntegration(doc.Request)
			if err != nil {
				t.Fatal(err)
			}
			drifts, err := sfobject.IntegrationDrift(t.Context(), sb.Conn, "CORP_PYPI_INTEGRATION", spec)
			if err != nil {
				t.Fatal(err)
			}
			if len(drifts) != 0 {
				t.Errorf("integration still differs after the update: %v", drifts)
			}
			rows := sb.Query(t, snowflake.ShowAPIIntegrations("CORP_PYPI_INTEGRATION"))
			if len(rows) != 1 || sfobject.Owner(rows[0]) != sfsandbox.RequestID {
				t.Errorf("SHOW API INTEGRATIONS = %v, want one row owned by %s", rows, sfsandbox.RequestID)
			}

			again, err := Run(t.Context(), sb.Env, doc)
			if err != nil {
				t.Fatalf("rerun: %v", err)
			}
			if again.Action != workflow.Adopted {
				t.Errorf("rerun action = %q, want %q", again.Action, workflow.Adopted)
			}
		})
	}
}

func TestSandboxMatchingIntegrationAdopted(t *testing.T) {
	sb, doc := startWithIntegration(t, "API_ALLOWED_PREFIXES = ('https://pypi.example.internal/') ALLOWED_AUTHENTICATION_SECRETS = (PLATFORM.PACKAGES.CORP_PYPI_SECRET) ENABLED = TRUE", "")

	out, err := Run(t.Context(), sb.Env, doc)

	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Adopted {
		t.Errorf("action = %q, want %q", out.Action, workflow.Adopted)
	}
}
