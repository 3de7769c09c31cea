package sfsim

import (
	"strings"
)

// describe runs DESCRIBE or DESC of an API integration. The output has one
// row per property with the columns that Snowflake's DESCRIBE INTEGRATION
// returns: property, property_type, property_value and property_default.
//
// NOTE: Snowflake documents no DESCRIBE output for ARTIFACT_REPOSITORY_API
// integrations. The rows follow those of git_https_api integrations, whose
// lists print as comma-separated values.
func (e *execution) describe() (*result, error) {
	p := e.p
	if !p.accept("API", "INTEGRATION") && !p.accept("INTEGRATION") {
		return nil, p.unexpected()
	}
	name, err := accountObjectName(e, "Integration", e.account.Integrations)
	if err != nil {
		return nil, err
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	in := e.account.Integrations[name]
	secrets := make([]string, len(in.AllowedSecrets))
	for i, s := range in.AllowedSecrets {
		secrets[i] = s.String()
	}
	res := &result{columns: []string{"property", "property_type", "property_value", "property_default"}}
	for _, row := range [][]string{
		{"ENABLED", "Boolean", boolText(in.Enabled), "false"},
		{"API_PROVIDER", "String", in.Provider, ""},
		{"API_ALLOWED_PREFIXES", "List", strings.Join(in.AllowedPrefixes, ","), "[]"},
		{"API_BLOCKED_PREFIXES", "List", "", "[]"},
		{"ALLOWED_AUTHENTICATION_SECRETS", "List", strings.Join(secrets, ","), "[]"},
		{"USE_PRIVATELINK_ENDPOINT", "Boolean", boolText(in.UsePrivateLink), "false"},
		{"COMMENT", "String", in.Comment, ""},
	} {
		res.rows = append(res.rows, cells(row...))
	}
	return res, nil
}

// alterIntegration runs ALTER [API] INTEGRATION name SET with
// API_ALLOWED_PREFIXES, ALLOWED_AUTHENTICATION_SECRETS, ENABLED or COMMENT.
// The sandbox takes ALLOWED_AUTHENTICATION_SECRETS only as a list.
func (e *execution) alterIntegration() (*result, error) {
	if err := e.acceptIfExists(); err != nil {
		return nil, err
	}
	name, err := accountObjectName(e, "Integration", e.account.Integrations)
	if err != nil {
		return nil, err
	}
	if err := e.p.expect("SET"); err != nil {
		return nil, err
	}
	updated := *e.account.Integrations[name]
	err = e.properties("API INTEGRATION", nil, func(key string) error {
		// The sandbox sets these two only on create.
		if key == "API_PROVIDER" || key == "USE_PRIVATELINK_ENDPOINT" {
			return compileError("invalid property '%s' for 'ALTER API INTEGRATION'", key)
		}
		return e.integrationProperty(&updated, key, "ALTER API INTEGRATION")
	})
	if err != nil {
		return nil, err
	}
	if err := checkPrefixes(updated.AllowedPrefixes); err != nil {
		return nil, err
	}
	*e.account.Integrations[name] = updated
	e.changed = true
	return ddlResult("Statement executed successfully."), nil
}

// alterRepository runs ALTER ARTIFACT REPOSITORY name SET INDEX_URL or
// COMMENT. The new index URL must be allowed by the repository's
// integration, as on create.
func (e *execution) alterRepository() (*result, error) {
	if err := e.acceptIfExists(); err != nil {
		return nil, err
	}
	parts, err := e.p.name()
	if err != nil {
		return nil, err
	}
	_, repo, err := e.repository(parts)
	if err != nil {
		return nil, err
	}
	if err := e.p.expect("SET"); err != nil {
		return nil, err
	}

	updated := *repo
	err = e.properties("ARTIFACT REPOSITORY", nil, func(key string) error {
		var err error
		switch key {
		case "INDEX_URL":
			updated.IndexURL, err = e.p.stringLiteral()
		case "COMMENT":
			updated.Comment, err = e.p.stringLiteral()
		default:
			return compileError("invalid property '%s' for 'ALTER ARTIFACT REPOSITORY'", key)
		}
		return err
	})
	if err != nil {
		return nil, err
	}

	if err := e.checkRepository(&updated); err != nil {
		return nil, err
	}
	*repo = updated
	e.changed = true
	return ddlResult("Statement executed successfully."), nil
}
