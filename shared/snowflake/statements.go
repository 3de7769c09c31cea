package snowflake

import (
	"fmt"
	"strings"
)

// Each builder returns exactly one statement without a trailing semicolon.
// Names go through Ident or Qualified and values through Literal; a
// parameter named ...Qualified takes a name already rendered by Qualified.
// Create statements use IF NOT EXISTS so that a rerun does not fail; steps
// look up the object first and alter what differs.

// CreateSecretPassword creates a secret of TYPE = PASSWORD. Snowflake sends it
// to the index as HTTP basic auth with username and password.
func CreateSecretPassword(db, schema, name, username, password string) string {
	return "CREATE SECRET IF NOT EXISTS " + Qualified(db, schema, name) +
		" TYPE = PASSWORD USERNAME = " + Literal(username) + " PASSWORD = " + Literal(password)
}

// CreateSecretGeneric creates a secret of TYPE = GENERIC_STRING holding a
// token.
func CreateSecretGeneric(db, schema, name, token string) string {
	return "CREATE SECRET IF NOT EXISTS " + Qualified(db, schema, name) +
		" TYPE = GENERIC_STRING SECRET_STRING = " + Literal(token)
}

// AlterSecretPassword sets new credentials on an existing password secret.
func AlterSecretPassword(db, schema, name, username, password string) string {
	return "ALTER SECRET " + Qualified(db, schema, name) +
		" SET USERNAME = " + Literal(username) + " PASSWORD = " + Literal(password)
}

// AlterSecretGeneric sets a new token on an existing generic-string secret.
func AlterSecretGeneric(db, schema, name, token string) string {
	return "ALTER SECRET " + Qualified(db, schema, name) + " SET SECRET_STRING = " + Literal(token)
}

// CreateAPIIntegration creates an ARTIFACT_REPOSITORY_API integration.
// prefixes are the URL prefixes Snowflake may fetch from, secretsQualified
// the secrets the repository may use. privateLink routes the traffic
// through the account's private endpoint for the prefix host.
func CreateAPIIntegration(name string, prefixes, secretsQualified []string, privateLink bool) string {
	return "CREATE API INTEGRATION IF NOT EXISTS " + apiIntegrationBody(name, prefixes, secretsQualified, privateLink)
}

// ReplaceAPIIntegration is CreateAPIIntegration with CREATE OR REPLACE. It
// changes what ALTER API INTEGRATION cannot: API_PROVIDER and
// USE_PRIVATELINK_ENDPOINT. The replaced integration may lose its grants,
// which the grants step grants again.
func ReplaceAPIIntegration(name string, prefixes, secretsQualified []string, privateLink bool) string {
	return "CREATE OR REPLACE API INTEGRATION " + apiIntegrationBody(name, prefixes, secretsQualified, privateLink)
}

func apiIntegrationBody(name string, prefixes, secretsQualified []string, privateLink bool) string {
	var b strings.Builder
	b.WriteString(Ident(name))
	b.WriteString(" API_PROVIDER = ARTIFACT_REPOSITORY_API")
	b.WriteString(" API_ALLOWED_PREFIXES = " + literalList(prefixes))
	b.WriteString(" ALLOWED_AUTHENTICATION_SECRETS = (" + strings.Join(secretsQualified, ", ") + ")")
	if privateLink {
		b.WriteString(" USE_PRIVATELINK_ENDPOINT = TRUE")
	}
	b.WriteString(" ENABLED = TRUE")
	return b.String()
}

// AlterAPIIntegration sets the allowed prefixes and secrets of an existing
// API integration and enables it.
func AlterAPIIntegration(name string, prefixes, secretsQualified []string) string {
	return "ALTER API INTEGRATION " + Ident(name) +
		" SET API_ALLOWED_PREFIXES = " + literalList(prefixes) +
		" ALLOWED_AUTHENTICATION_SECRETS = (" + strings.Join(secretsQualified, ", ") + ")" +
		" ENABLED = TRUE"
}

// DescribeAPIIntegration lists the properties of the API integration, one
// row each, with the columns property, property_type, property_value and
// property_default.
func DescribeAPIIntegration(name string) string {
	return "DESCRIBE API INTEGRATION " + Ident(name)
}

// CreateArtifactRepository creates a PYPI artifact repository that reads
// indexURL through integration with the secret secretQualified.
func CreateArtifactRepository(db, schema, name, integration, indexURL, secretQualified string) string {
	return "CREATE ARTIFACT REPOSITORY IF NOT EXISTS " + artifactRepositoryBody(db, schema, name, integration, indexURL, secretQualified)
}

// ReplaceArtifactRepository is CreateArtifactRepository with CREATE OR
// REPLACE, for a repository whose TYPE or API_INTEGRATION must change. The
// replaced repository may lose its grants, which the grants step grants
// again.
func ReplaceArtifactRepository(db, schema, name, integration, indexURL, secretQualified string) string {
	return "CREATE OR REPLACE ARTIFACT REPOSITORY " + artifactRepositoryBody(db, schema, name, integration, indexURL, secretQualified)
}

func artifactRepositoryBody(db, schema, name, integration, indexURL, secretQualified string) string {
	return Qualified(db, schema, name) +
		" TYPE = PYPI API_INTEGRATION = " + Ident(integration) +
		" INDEX_URL = " + Literal(indexURL) +
		" AUTHENTICATION_SECRET = " + secretQualified
}

// AlterArtifactRepositoryIndexURL sets the index URL of an existing
// artifact repository.
//
// NOTE: the ALTER ARTIFACT REPOSITORY reference documents only COMMENT and
// tags. SET INDEX_URL is taken from the example in Snowflake's guide to
// customer-hosted Python artifact repositories.
func AlterArtifactRepositoryIndexURL(db, schema, name, indexURL string) string {
	return "ALTER ARTIFACT REPOSITORY " + Qualified(db, schema, name) + " SET INDEX_URL = " + Literal(indexURL)
}

// Levels at which DEFAULT_PYTHON_ARTIFACT_REPOSITORY can be set.
const (
	LevelAccount  = "account"
	LevelDatabase = "database"
	LevelSchema   = "schema"
)

// DefaultRepositoryParameter is the parameter that picks the artifact
// repository for new Python functions and procedures without their own.
const DefaultRepositoryParameter = "DEFAULT_PYTHON_ARTIFACT_REPOSITORY"

// levelObject renders the ALTER or SHOW target for a parameter level: ACCOUNT,
// DATABASE db or SCHEMA db.schema.
func levelObject(level, db, schema string) (string, error) {
	switch level {
	case LevelAccount:
		return "ACCOUNT", nil
	case LevelDatabase:
		return "DATABASE " + Ident(db), nil
	case LevelSchema:
		return "SCHEMA " + Qualified(db, schema), nil
	}
	return "", fmt.Errorf("invalid level %q: expected %q, %q or %q", level, LevelAccount, LevelDatabase, LevelSchema)
}

// SetDefaultRepository sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY at level to
// repoQualified. db and schema are ignored where the level does not use them.
func SetDefaultRepository(level, db, schema, repoQualified string) (string, error) {
	target, err := levelObject(level, db, schema)
	if err != nil {
		return "", err
	}
	return "ALTER " + target + " SET " + DefaultRepositoryParameter + " = " + repoQualified, nil
}

// UnsetDefaultRepository removes DEFAULT_PYTHON_ARTIFACT_REPOSITORY at level.
func UnsetDefaultRepository(level, db, schema string) (string, error) {
	target, err := levelObject(level, db, schema)
	if err != nil {
		return "", err
	}
	return "ALTER " + target + " UNSET " + DefaultRepositoryParameter, nil
}

// ShowDefaultRepository lists DEFAULT_PYTHON_ARTIFACT_REPOSITORY at level;
// the row's value column holds the repository name, "" when unset.
func ShowDefaultRepository(level, db, schema string) (string, error) {
	target, err := levelObject(level, db, schema)
	if err != nil {
		return "", err
	}
	return "SHOW PARAMETERS LIKE " + Literal(DefaultRepositoryParameter) + " IN " + target, nil
}

// GrantUsageOnIntegration lets role use the integration.
func GrantUsageOnIntegration(integration, role string) string {
	return "GRANT USAGE ON INTEGRATION " + Ident(integration) + " TO ROLE " + Ident(role)
}

// GrantUsageOnDatabase lets role use the database.
func GrantUsageOnDatabase(db, role string) string {
	return "GRANT USAGE ON DATABASE " + Ident(db) + " TO ROLE " + Ident(role)
}

// GrantUsageOnSchema lets role use the schema.
func GrantUsageOnSchema(db, schema, role string) string {
	return "GRANT USAGE ON SCHEMA " + Qualified(db, schema) + " TO ROLE " + Ident(role)
}

// GrantReadOnRepository grants READ on the artifact repository, the
// privilege that the CREATE ARTIFACT REPOSITORY reference lists.
//
// NOTE: Snowflake's troubleshooting guide checks USAGE on the repository
// instead. Which of the two a role running the function needs is
// unconfirmed, so steps grant READ and may add GrantUsageOnRepository.
func GrantReadOnRepository(db, schema, name, role string) string {
	return "GRANT READ ON ARTIFACT REPOSITORY " + Qualified(db, schema, name) + " TO ROLE " + Ident(role)
}

// GrantUsageOnRepository grants USAGE on the artifact repository.
func GrantUsageOnRepository(db, schema, name, role string) string {
	return "GRANT USAGE ON ARTIFACT REPOSITORY " + Qualified(db, schema, name) + " TO ROLE " + Ident(role)
}

// ShowSecrets lists the secrets in db.schema whose names match name.
func ShowSecrets(db, schema, name string) string {
	return "SHOW SECRETS LIKE " + Literal(LikePattern(name)) + " IN SCHEMA " + Qualified(db, schema)
}

// ShowAPIIntegrations lists the API integrations whose names match name.
func ShowAPIIntegrations(name string) string {
	return "SHOW API INTEGRATIONS LIKE " + Literal(LikePattern(name))
}

// ShowArtifactRepositories lists the artifact repositories in db.schema whose
// names match name.
func ShowArtifactRepositories(db, schema, name string) string {
	return "SHOW ARTIFACT REPOSITORIES LIKE " + Literal(LikePattern(name)) + " IN SCHEMA " + Qualified(db, schema)
}

// ShowGrantsOnRepository lists the privileges granted on the repository.
func ShowGrantsOnRepository(db, schema, name string) string {
	return "SHOW GRANTS ON ARTIFACT REPOSITORY " + Qualified(db, schema, name)
}

// ShowGrantsOnIntegration lists the privileges granted on the integration.
func ShowGrantsOnIntegration(name string) string {
	return "SHOW GRANTS ON INTEGRATION " + Ident(name)
}

// DropSecret drops the secret when it exists.
func DropSecret(db, schema, name string) string {
	return "DROP SECRET IF EXISTS " + Qualified(db, schema, name)
}

// DropAPIIntegration drops the API integration when it exists.
func DropAPIIntegration(name string) string {
	return "DROP API INTEGRATION IF EXISTS " + Ident(name)
}

// DropArtifactRepository drops the artifact repository when it exists.
func DropArtifactRepository(db, schema, name string) string {
	return "DROP ARTIFACT REPOSITORY IF EXISTS " + Qualified(db, schema, name)
}
