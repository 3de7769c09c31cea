package sfsim

import (
	"net/url"
	"strings"
)

// NOTE: the sandbox reports invalid object properties with the generic
// compilation error 001003; Snowflake's own codes for these cases are not
// documented.

func (e *execution) createSecret(h createHeader) (*result, error) {
	parts, err := e.p.name()
	if err != nil {
		return nil, err
	}
	name, schema, err := e.objectName(parts)
	if err != nil {
		return nil, err
	}
	secret := &Secret{Name: name.Name, Owner: e.sess.role, CreatedOn: e.s.now()}
	if err := e.secretProperties(secret, true); err != nil {
		return nil, err
	}
	switch secret.Type {
	case "PASSWORD":
		if secret.SecretString != "" {
			return nil, compileError("invalid property 'SECRET_STRING' for secret of type PASSWORD")
		}
	case "GENERIC_STRING":
		if secret.Username != "" || secret.Password != "" {
			return nil, compileError("invalid property 'USERNAME' or 'PASSWORD' for secret of type GENERIC_STRING")
		}
	case "":
		return nil, compileError("missing required property 'TYPE' for secret")
	default:
		return nil, compileError("secret type '%s' is not supported by the sandbox", secret.Type)
	}

	if schema.Secrets[name.Name] != nil {
		if res, err := existing(h, name.String()); res != nil || err != nil {
			return res, err
		}
	}
	schema.Secrets[name.Name] = secret
	e.changed = true
	return ddlResult("Secret " + quoteIfNeeded(name.Name) + " successfully created."), nil
}

// secretProperties reads KEY = value pairs into secret. TYPE is allowed only
// on create.
func (e *execution) secretProperties(secret *Secret, create bool) error {
	for {
		key, err := e.p.property()
		if err != nil {
			return err
		}
		if key == "" {
			return nil
		}
		if key == "TYPE" && create {
			t, err := e.p.ident()
			if err != nil {
				return err
			}
			secret.Type = t
			continue
		}
		value, err := e.p.stringLiteral()
		if err != nil {
			return err
		}
		switch key {
		case "USERNAME":
			secret.Username = value
		case "PASSWORD":
			if secret.Password, err = e.s.sealer.Seal(value); err != nil {
				return err
			}
		case "SECRET_STRING":
			if secret.SecretString, err = e.s.sealer.Seal(value); err != nil {
				return err
			}
		case "COMMENT":
			secret.Comment = value
		default:
			return compileError("invalid property '%s' for 'SECRET'", key)
		}
	}
}

func (e *execution) alterSecret() (*result, error) {
	if err := e.acceptIfExists(); err != nil {
		return nil, err
	}
	parts, err := e.p.name()
	if err != nil {
		return nil, err
	}
	if err := e.p.expect("SET"); err != nil {
		return nil, err
	}
	name, secret, err := e.secret(parts)
	if err != nil {
		return nil, err
	}
	updated := *secret
	if err := e.secretProperties(&updated, false); err != nil {
		return nil, err
	}
	if updated.Type == "GENERIC_STRING" && (updated.Username != "" || updated.Password != "") ||
		updated.Type == "PASSWORD" && updated.SecretString != "" {
		return nil, compileError("property does not match the type of secret %s", name.String())
	}
	*secret = updated
	e.changed = true
	return ddlResult("Statement executed successfully."), nil
}

func (e *execution) createIntegration(h createHeader) (*result, error) {
	name, err := e.p.ident()
	if err != nil {
		return nil, err
	}
	integration := &Integration{Name: name, Owner: e.sess.role, CreatedOn: e.s.now()}
	required := []string{"API_PROVIDER", "API_ALLOWED_PREFIXES", "ENABLED"}
	err = e.properties("API INTEGRATION", required, func(key string) error {
		return e.integrationProperty(integration, key, "API INTEGRATION")
	})
	if err != nil {
		return nil, err
	}
	if integration.Provider != "ARTIFACT_REPOSITORY_API" {
		return nil, compileError("API_PROVIDER '%s' is not supported by the sandbox; use ARTIFACT_REPOSITORY_API", integration.Provider)
	}
	if err := checkPrefixes(integration.AllowedPrefixes); err != nil {
		return nil, err
	}

	if e.account.Integrations[name] != nil {
		if res, err := existing(h, quoteIfNeeded(name)); res != nil || err != nil {
			return res, err
		}
	}
	e.account.Integrations[name] = integration
	e.changed = true
	return ddlResult("Integration " + quoteIfNeeded(name) + " successfully created."), nil
}

// integrationProperty reads the value of key into integration. statement
// names the statement in the error for a key that is not a property.
func (e *execution) integrationProperty(integration *Integration, key, statement string) error {
	var err error
	switch key {
	case "API_PROVIDER":
		integration.Provider, err = e.p.ident()
	case "API_ALLOWED_PREFIXES":
		integration.AllowedPrefixes, err = e.p.stringList()
	case "ALLOWED_AUTHENTICATION_SECRETS":
		integration.AllowedSecrets, err = e.secretList()
	case "USE_PRIVATELINK_ENDPOINT":
		integration.UsePrivateLink, err = e.p.boolean()
	case "ENABLED":
		integration.Enabled, err = e.p.boolean()
	case "COMMENT":
		integration.Comment, err = e.p.stringLiteral()
	default:
		return compileError("invalid property '%s' for '%s'", key, statement)
	}
	return err
}

// checkPrefixes fails unless every prefix is an https:// URL prefix.
func checkPrefixes(prefixes []string) error {
	for _, prefix := range prefixes {
		if _, err := url.Parse(strings.Replace(prefix, "*.", "wildcard.", 1)); err != nil || !strings.HasPrefix(prefix, "https://") {
			return compileError("invalid value '%s' for property 'API_ALLOWED_PREFIXES': expected an https:// URL prefix", prefix)
		}
	}
	return nil
}

// properties reads KEY = value pairs until the statement ends. It calls
// set for each key, and set reads the value. The statement fails when a
// key of required is missing. objectType names the object in that error,
// such as API INTEGRATION.
func (e *execution) properties(objectType string, required []string, set func(key string) error) error {
	seen := map[string]bool{}
	for {
		key, err := e.p.property()
		if err != nil {
			return err
		}
		if key == "" {
			break
		}
		seen[key] = true
		if err := set(key); err != nil {
			return err
		}
	}
	for _, name := range required {
		if !seen[name] {
			return compileError("missing required property '%s' for '%s'", name, objectType)
		}
	}
	return nil
}

// acceptIfExists skips IF EXISTS after ALTER. The object must exist all
// the same, so the words change nothing.
func (e *execution) acceptIfExists() error {
	if e.p.accept("IF") {
		return e.p.expect("EXISTS")
	}
	return nil
}

// secretList reads ( secret, ... ) and resolves each to an existing secret.
func (e *execution) secretList() ([]ObjectName, error) {
	names, err := e.p.nameList()
	if err != nil {
		return nil, err
	}
	out := make([]ObjectName, 0, len(names))
	for _, parts := range names {
		name, _, err := e.secret(parts)
		if err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, nil
}

func (e *execution) createRepository(h createHeader) (*result, error) {
	parts, err := e.p.name()
	if err != nil {
		return nil, err
	}
	name, schema, err := e.objectName(parts)
	if err != nil {
		return nil, err
	}
	repo := &Repository{Name: name.Name, Owner: e.sess.role, CreatedOn: e.s.now()}
	err = e.properties("ARTIFACT REPOSITORY", []string{"TYPE", "API_INTEGRATION"}, func(key string) error {
		var err error
		switch key {
		case "TYPE":
			repo.Type, err = e.p.ident()
		case "API_INTEGRATION":
			// The reference shows the integration as a string, the
			// examples as an identifier; both are accepted.
			if e.p.peek().kind == tokString {
				repo.Integration, err = e.p.stringLiteral()
				repo.Integration = strings.ToUpper(repo.Integration)
			} else {
				repo.Integration, err = e.p.ident()
			}
		case "INDEX_URL":
			repo.IndexURL, err = e.p.stringLiteral()
		case "AUTHENTICATION_SECRET":
			var secretParts []string
			if secretParts, err = e.p.name(); err == nil {
				repo.Secret, _, err = e.secret(secretParts)
			}
		case "PACKAGE_RETENTION":
			_, err = e.p.ident()
		case "COMMENT":
			repo.Comment, err = e.p.stringLiteral()
		default:
			return compileError("invalid property '%s' for 'ARTIFACT REPOSITORY'", key)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if repo.Type != "PYPI" {
		return nil, compileError("invalid value '%s' for property 'TYPE': the sandbox supports PYPI", repo.Type)
	}
	if err := e.checkRepository(repo); err != nil {
		return nil, err
	}

	if schema.Repositories[name.Name] != nil {
		if res, err := existing(h, name.String()); res != nil || err != nil {
			return res, err
		}
	}
	schema.Repositories[name.Name] = repo
	e.changed = true
	return ddlResult("Artifact repository " + quoteIfNeeded(name.Name) + " successfully created."), nil
}

// checkRepository looks up the repository's integration, which must exist,
// and applies its rules with checkRepositoryAccess.
func (e *execution) checkRepository(repo *Repository) error {
	integration := e.account.Integrations[repo.Integration]
	if integration == nil {
		return notExistError("Integration", repo.Integration)
	}
	return checkRepositoryAccess(integration, repo)
}

// checkRepositoryAccess applies the integration's rules to the repository:
// the provider, the index URL inside API_ALLOWED_PREFIXES, and the secret in
// ALLOWED_AUTHENTICATION_SECRETS.
func checkRepositoryAccess(integration *Integration, repo *Repository) error {
	if integration.Provider != "ARTIFACT_REPOSITORY_API" {
		return compileError("integration %s is not an ARTIFACT_REPOSITORY_API integration", quoteIfNeeded(integration.Name))
	}
	if repo.IndexURL == "" {
		return compileError("missing required property 'INDEX_URL' for 'ARTIFACT REPOSITORY'")
	}
	if !urlAllowed(repo.IndexURL, integration.AllowedPrefixes) {
		return compileError("INDEX_URL '%s' is not allowed by API_ALLOWED_PREFIXES of integration %s", repo.IndexURL, quoteIfNeeded(integration.Name))
	}
	if repo.Secret.Name != "" && !containsName(integration.AllowedSecrets, repo.Secret) {
		return compileError("secret %s is not in ALLOWED_AUTHENTICATION_SECRETS of integration %s", repo.Secret, quoteIfNeeded(integration.Name))
	}
	return nil
}

func containsName(names []ObjectName, name ObjectName) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// urlAllowed reports whether raw starts with one of the prefixes: same
// scheme, the same host (a leading "*." matches any subdomains) and a path
// that starts with the prefix path.
func urlAllowed(raw string, prefixes []string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	for _, prefix := range prefixes {
		wildcard := strings.Contains(prefix, "://*.")
		pu, err := url.Parse(strings.Replace(prefix, "://*.", "://", 1))
		if err != nil || !strings.EqualFold(pu.Scheme, u.Scheme) {
			continue
		}
		host, prefixHost := strings.ToLower(u.Host), strings.ToLower(pu.Host)
		if host != prefixHost && !(wildcard && strings.HasSuffix(host, "."+prefixHost)) {
			continue
		}
		if strings.HasPrefix(u.Path, pu.Path) {
			return true
		}
	}
	return false
}
