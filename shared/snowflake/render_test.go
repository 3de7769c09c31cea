package snowflake

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIdent(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"lower plain", "corp_pypi", "CORP_PYPI"},
		{"upper plain", "CORP_PYPI", "CORP_PYPI"},
		{"mixed case plain", "CorpPypi", "CORPPYPI"},
		{"leading underscore", "_x1$", "_X1$"},
		{"dollar first", "$x", `"$x"`},
		{"digit first", "1abc", `"1abc"`},
		{"reserved word", "table", `"table"`},
		{"reserved upper", "SELECT", `"SELECT"`},
		{"hyphen", "corp-pypi", `"corp-pypi"`},
		{"space", "my repo", `"my repo"`},
		{"double quote", `a"b`, `"a""b"`},
		{"single quote", "a'b", `"a'b"`},
		{"backslash", `a\b`, `"a\b"`},
		{"semicolon and comment", "x; DROP DATABASE d --", `"x; DROP DATABASE d --"`},
		{"newline", "a\nb", "\"a\nb\""},
		{"non-ASCII", "données", `"données"`},
		{"empty", "", `""`},
		{"quoted lower case", `"data_science"`, `"data_science"`},
		{"quoted mixed case", `"Data-Science"`, `"Data-Science"`},
		{"quoted upper plain", `"DATA_SCIENCE"`, "DATA_SCIENCE"},
		{"quoted with doubled quote", `"a""b"`, `"a""b"`},
		{"quoted around a quoted name", `"""x"""`, `"""x"""`},
		{"lone inner quote is literal", `"a"b"`, `"""a""b"""`},
		{"only quotes is literal", `""`, `""""""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Ident(tt.in); got != tt.want {
				t.Errorf("Ident(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestStoredNameAndSameName(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		stored   string
		showName string
		same     bool
	}{
		{"plain lower matches upper", "corp_pypi", "CORP_PYPI", "CORP_PYPI", true},
		{"plain lower not lower", "corp_pypi", "CORP_PYPI", "corp_pypi", false},
		{"quoted keeps case", "corp-pypi", "corp-pypi", "corp-pypi", true},
		{"quoted differs in case", "corp-pypi", "corp-pypi", "CORP-PYPI", false},
		{"like wildcard is not a match", "a_b", "A_B", "AXB", false},
		{"quoted lower case keeps case", `"data_science"`, "data_science", "data_science", true},
		{"quoted lower case is not upper", `"data_science"`, "data_science", "DATA_SCIENCE", false},
		{"quoted mixed case", `"Data-Science"`, "Data-Science", "Data-Science", true},
		{"quoted upper is unquoted upper", `"DATA_SCIENCE"`, "DATA_SCIENCE", "DATA_SCIENCE", true},
		{"quoted with doubled quote", `"a""b"`, `a"b`, `a"b`, true},
		{"lone inner quote is literal", `"a"b"`, `"a"b"`, `"a"b"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StoredName(tt.in); got != tt.stored {
				t.Errorf("StoredName(%q) = %q, want %q", tt.in, got, tt.stored)
			}
			if got := SameName(tt.showName, tt.in); got != tt.same {
				t.Errorf("SameName(%q, %q) = %v, want %v", tt.showName, tt.in, got, tt.same)
			}
		})
	}
}

func TestQualified(t *testing.T) {
	got := Qualified("platform", "Packages", "corp pypi")
	want := `PLATFORM.PACKAGES."corp pypi"`
	if got != want {
		t.Errorf("Qualified = %s, want %s", got, want)
	}
}

func TestLiteral(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "abc", "'abc'"},
		{"empty", "", "''"},
		{"single quote", "it's", "'it''s'"},
		{"backslash", `a\b`, `'a\\b'`},
		{"backslash before quote", `\'`, `'\\'''`},
		{"injection", "x'; DROP SECRET s; --", "'x''; DROP SECRET s; --'"},
		{"double quote kept", `a"b`, `'a"b'`},
		{"newline kept", "a\nb\tc", "'a\nb\tc'"},
		{"non-ASCII kept", "pässwörd✓", "'pässwörd✓'"},
		{"dollar quotes kept", "$$x$$", "'$$x$$'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Literal(tt.in)
			if got != tt.want {
				t.Errorf("Literal(%q) = %s, want %s", tt.in, got, tt.want)
			}
			if _, value, _ := scanLiteral(got, 0); value != tt.in {
				t.Errorf("Literal(%q) reads back as %q", tt.in, value)
			}
		})
	}
}

func TestLikePattern(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "corp", "CORP"},
		{"underscore", "corp_pypi", `CORP\_PYPI`},
		{"percent quoted", "a%b", `a\%b`},
		{"backslash quoted", `a\b`, `a\\b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LikePattern(tt.in); got != tt.want {
				t.Errorf("LikePattern(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got, want := ShowAPIIntegrations("corp_int"), `SHOW API INTEGRATIONS LIKE 'CORP\\_INT'`; got != want {
		t.Errorf("ShowAPIIntegrations = %s, want %s", got, want)
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"ok", "corp", false},
		{"empty", "", true},
		{"too long", strings.Repeat("a", 256), true},
		{"max length", strings.Repeat("é", 255), false},
		{"nul", "a\x00b", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckName(tt.in); (err != nil) != tt.wantErr {
				t.Errorf("CheckName error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestStatements(t *testing.T) {
	secret := Qualified("platform", "packages", "corp_secret")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{
			"password secret",
			CreateSecretPassword("platform", "packages", "corp_secret", "svc", "p'w\\d"),
			`CREATE SECRET IF NOT EXISTS PLATFORM.PACKAGES.CORP_SECRET TYPE = PASSWORD USERNAME = 'svc' PASSWORD = 'p''w\\d'`,
		},
		{
			"generic secret",
			CreateSecretGeneric("platform", "packages", "tok", "abc"),
			`CREATE SECRET IF NOT EXISTS PLATFORM.PACKAGES.TOK TYPE = GENERIC_STRING SECRET_STRING = 'abc'`,
		},
		{
			"alter password secret",
			AlterSecretPassword("platform", "packages", "corp_secret", "svc", "new"),
			`ALTER SECRET PLATFORM.PACKAGES.CORP_SECRET SET USERNAME = 'svc' PASSWORD = 'new'`,
		},
		{
			"private link integration",
			CreateAPIIntegration("corp_int", []string{"https://pypi.corp.example.com"}, []string{secret}, true),
			`CREATE API INTEGRATION IF NOT EXISTS CORP_INT API_PROVIDER = ARTIFACT_REPOSITORY_API API_ALLOWED_PREFIXES = ('https://pypi.corp.example.com') ALLOWED_AUTHENTICATION_SECRETS = (PLATFORM.PACKAGES.CORP_SECRET) USE_PRIVATELINK_ENDPOINT = TRUE ENABLED = TRUE`,
		},
		{
			"public integration",
			CreateAPIIntegration("corp-int", []string{"https://a", "https://*.b"}, []string{secret}, false),
			`CREATE API INTEGRATION IF NOT EXISTS "corp-int" API_PROVIDER = ARTIFACT_REPOSITORY_API API_ALLOWED_PREFIXES = ('https://a', 'https://*.b') ALLOWED_AUTHENTICATION_SECRETS = (PLATFORM.PACKAGES.CORP_SECRET) ENABLED = TRUE`,
		},
		{
			"repository",
			CreateArtifactRepository("platform", "packages", "corp_pypi", "corp_int", "https://pypi.corp.example.com/simple/", secret),
			`CREATE ARTIFACT REPOSITORY IF NOT EXISTS PLATFORM.PACKAGES.CORP_PYPI TYPE = PYPI API_INTEGRATION = CORP_INT INDEX_URL = 'https://pypi.corp.example.com/simple/' AUTHENTICATION_SECRET = PLATFORM.PACKAGES.CORP_SECRET`,
		},
		{"grant integration", GrantUsageOnIntegration("corp_int", "data science"), `GRANT USAGE ON INTEGRATION CORP_INT TO ROLE "data science"`},
		{"grant database", GrantUsageOnDatabase("platform", "ds"), `GRANT USAGE ON DATABASE PLATFORM TO ROLE DS`},
		{"grant schema", GrantUsageOnSchema("platform", "packages", "ds"), `GRANT USAGE ON SCHEMA PLATFORM.PACKAGES TO ROLE DS`},
		{"grant read repository", GrantReadOnRepository("platform", "packages", "corp_pypi", "ds"), `GRANT READ ON ARTIFACT REPOSITORY PLATFORM.PACKAGES.CORP_PYPI TO ROLE DS`},
		{"grant usage repository", GrantUsageOnRepository("platform", "packages", "corp_pypi", "ds"), `GRANT USAGE ON ARTIFACT REPOSITORY PLATFORM.PACKAGES.CORP_PYPI TO ROLE DS`},
		{"show secrets", ShowSecrets("platform", "packages", "corp-secret"), `SHOW SECRETS LIKE 'corp-secret' IN SCHEMA PLATFORM.PACKAGES`},
		{"show repositories", ShowArtifactRepositories("platform", "packages", "corp"), `SHOW ARTIFACT REPOSITORIES LIKE 'CORP' IN SCHEMA PLATFORM.PACKAGES`},
		{"show grants repository", ShowGrantsOnRepository("platform", "packages", "corp"), `SHOW GRANTS ON ARTIFACT REPOSITORY PLATFORM.PACKAGES.CORP`},
		{"show grants integration", ShowGrantsOnIntegration("corp_int"), `SHOW GRANTS ON INTEGRATION CORP_INT`},
		{"provision", ProvisionPrivateLinkEndpoint("com.amazonaws.vpce.us-west-2.vpce-svc-0abc", "pypi.corp.example.com"), `SELECT SYSTEM$PROVISION_PRIVATELINK_ENDPOINT('com.amazonaws.vpce.us-west-2.vpce-svc-0abc', 'pypi.corp.example.com')`},
		{"deprovision", DeprovisionPrivateLinkEndpoint("svc"), `SELECT SYSTEM$DEPROVISION_PRIVATELINK_ENDPOINT('svc')`},
		{"restore", RestorePrivateLinkEndpoint("svc"), `SELECT SYSTEM$RESTORE_PRIVATELINK_ENDPOINT('svc')`},
		{"config", GetPrivateLinkConfig(), `SELECT SYSTEM$GET_PRIVATELINK_CONFIG()`},
		{"endpoints", GetPrivateLinkEndpointsInfo(), `SELECT SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO()`},
		{"call function", CallVerifyFunction("platform", "packages", "repolink_check"), `SELECT PLATFORM.PACKAGES.REPOLINK_CHECK()`},
		{"call procedure", CallVerifyProcedure("platform", "packages", "repolink_check"), `CALL PLATFORM.PACKAGES.REPOLINK_CHECK()`},
		{"drop function", DropVerifyFunction("platform", "packages", "f"), `DROP FUNCTION IF EXISTS PLATFORM.PACKAGES.F()`},
		{"drop procedure", DropVerifyProcedure("platform", "packages", "f"), `DROP PROCEDURE IF EXISTS PLATFORM.PACKAGES.F()`},
		{"drop secret", DropSecret("platform", "packages", "s"), `DROP SECRET IF EXISTS PLATFORM.PACKAGES.S`},
		{"drop integration", DropAPIIntegration("i"), `DROP API INTEGRATION IF EXISTS I`},
		{"drop repository", DropArtifactRepository("platform", "packages", "r"), `DROP ARTIFACT REPOSITORY IF EXISTS PLATFORM.PACKAGES.R`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got  %s\nwant %s", tt.got, tt.want)
			}
			if strings.HasSuffix(tt.got, ";") {
				t.Errorf("statement ends in a semicolon: %s", tt.got)
			}
		})
	}
}

func TestDefaultRepositoryStatements(t *testing.T) {
	repo := Qualified("platform", "packages", "corp_pypi")
	tests := []struct {
		level     string
		wantSet   string
		wantUnset string
		wantShow  string
	}{
		{
			LevelAccount,
			"ALTER ACCOUNT SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = PLATFORM.PACKAGES.CORP_PYPI",
			"ALTER ACCOUNT UNSET DEFAULT_PYTHON_ARTIFACT_REPOSITORY",
			"SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN ACCOUNT",
		},
		{
			LevelDatabase,
			"ALTER DATABASE PLATFORM SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = PLATFORM.PACKAGES.CORP_PYPI",
			"ALTER DATABASE PLATFORM UNSET DEFAULT_PYTHON_ARTIFACT_REPOSITORY",
			"SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN DATABASE PLATFORM",
		},
		{
			LevelSchema,
			"ALTER SCHEMA PLATFORM.PACKAGES SET DEFAULT_PYTHON_ARTIFACT_REPOSITORY = PLATFORM.PACKAGES.CORP_PYPI",
			"ALTER SCHEMA PLATFORM.PACKAGES UNSET DEFAULT_PYTHON_ARTIFACT_REPOSITORY",
			"SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN SCHEMA PLATFORM.PACKAGES",
		},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			set, err := SetDefaultRepository(tt.level, "platform", "packages", repo)
			if err != nil || set != tt.wantSet {
				t.Errorf("SetDefaultRepository = %q, %v; want %q", set, err, tt.wantSet)
			}
			unset, err := UnsetDefaultRepository(tt.level, "platform", "packages")
			if err != nil || unset != tt.wantUnset {
				t.Errorf("UnsetDefaultRepository = %q, %v; want %q", unset, err, tt.wantUnset)
			}
			show, err := ShowDefaultRepository(tt.level, "platform", "packages")
			if err != nil || show != tt.wantShow {
				t.Errorf("ShowDefaultRepository = %q, %v; want %q", show, err, tt.wantShow)
			}
		})
	}
	if _, err := SetDefaultRepository("table", "", "", repo); err == nil {
		t.Error("SetDefaultRepository with an invalid level returned no error")
	}
}

func TestCreateVerifyFunction(t *testing.T) {
	got, err := CreateVerifyFunction("platform", "packages", "repolink_check", Qualified("platform", "packages", "corp_pypi"), "", []string{"requests", "corp-utils==2.3.1"})
	if err != nil {
		t.Fatalf("CreateVerifyFunction: %v", err)
	}
	want := `CREATE OR REPLACE TEMPORARY FUNCTION PLATFORM.PACKAGES.REPOLINK_CHECK()
RETURNS STRING
LANGUAGE PYTHON
RUNTIME_VERSION = '3.12'
ARTIFACT_REPOSITORY = PLATFORM.PACKAGES.CORP_PYPI
PACKAGES = ('requests', 'corp-utils==2.3.1')
HANDLER = 'run'
AS $$
from importlib.metadata import version

NAMES = ["requests", "corp-utils"]

def run():
    return ",".join(n + "==" + version(n) for n in NAMES)
$$`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CreateVerifyFunction mismatch (-want +got):\n%s", diff)
	}
}

func TestCreateVerifyProcedure(t *testing.T) {
	repo := Qualified("platform", "packages", "corp_pypi")
	tests := []struct {
		name     string
		packages []string
		want     string
	}{
		{"adds snowpark first", []string{"requests"}, "PACKAGES = ('snowflake-snowpark-python', 'requests')"},
		{"keeps listed snowpark", []string{"requests", "Snowflake_Snowpark.Python>=1.20"}, "PACKAGES = ('requests', 'Snowflake_Snowpark.Python>=1.20')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CreateVerifyProcedure("platform", "packages", "p", repo, "", tt.packages)
			if err != nil {
				t.Fatalf("CreateVerifyProcedure: %v", err)
			}
			if !strings.Contains(got, tt.want+"\n") {
				t.Errorf("statement lacks %q:\n%s", tt.want, got)
			}
			if !strings.Contains(got, "def run(session):") {
				t.Errorf("procedure handler does not take a session:\n%s", got)
			}
			if !strings.HasPrefix(got, "CREATE OR REPLACE TEMPORARY PROCEDURE PLATFORM.PACKAGES.P()") {
				t.Errorf("unexpected statement start:\n%s", got)
			}
		})
	}
}

func TestRequirementName(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "requests", want: "requests"},
		{in: "corp-utils==2.3.1", want: "corp-utils"},
		{in: "setuptools<82", want: "setuptools"},
		{in: "requests[socks]>=2.0,<3", want: "requests"},
		{in: "zope.interface~=6.0", want: "zope.interface"},
		{in: "", wantErr: true},
		{in: "-e .", wantErr: true},
		{in: "pkg; python_version<'3.8'", wantErr: true},
		{in: "pkg @ https://x/pkg.whl", wantErr: true},
		{in: "pkg$$", wantErr: true},
		{in: `pkg"`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := RequirementName(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("RequirementName(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("RequirementName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCreateVerifyRuntimeVersion(t *testing.T) {
	repo := Qualified("platform", "packages", "corp_pypi")
	function, err := CreateVerifyFunction("platform", "packages", "f", repo, "3.11", []string{"requests"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(function, "RUNTIME_VERSION = '3.11'\n") {
		t.Errorf("function does not run on 3.11:\n%s", function)
	}
	procedure, err := CreateVerifyProcedure("platform", "packages", "p", repo, "3.13", []string{"requests"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(procedure, "RUNTIME_VERSION = '3.13'\n") {
		t.Errorf("procedure does not run on 3.13:\n%s", procedure)
	}
}

// scanLiteral reads the single-quoted literal that starts at stmt[start] and
// returns its raw text, its value, and the index of the closing quote.
func scanLiteral(stmt string, start int) (raw, value string, end int) {
	var b strings.Builder
	i := start + 1
	for i < len(stmt) {
		c := stmt[i]
		switch {
		case c == '\\' && i+1 < len(stmt):
			b.WriteByte(stmt[i+1])
			i += 2
		case c == '\'' && i+1 < len(stmt) && stmt[i+1] == '\'':
			b.WriteByte('\'')
			i += 2
		case c == '\'':
			return stmt[start+1 : i], b.String(), i
		default:
			b.WriteByte(c)
			i++
		}
	}
	return stmt[start+1:], b.String(), len(stmt)
}
