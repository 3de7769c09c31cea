package sfsim

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// snowparkPackage must be among a Python procedure's packages.
const snowparkPackage = "snowflake-snowpark-python"

// functionSpec is a parsed CREATE FUNCTION or CREATE PROCEDURE.
type functionSpec struct {
	name       ObjectName
	language   string
	runtime    string
	repository []string
	packages   []string
	handler    string
	body       string
}

// createFunction parses a Python function or procedure and installs its
// packages from the artifact repository before it records the function, as
// Snowflake resolves packages at creation.
func (e *execution) createFunction(h createHeader, kind string) (*result, error) {
	spec, err := e.parseFunction()
	if err != nil {
		return nil, err
	}
	if !h.temporary {
		return nil, compileError("the sandbox supports only TEMPORARY functions and procedures")
	}
	if spec.language != "PYTHON" {
		return nil, compileError("language '%s' is not supported by the sandbox; use PYTHON", spec.language)
	}
	switch {
	case spec.runtime == "":
		return nil, compileError("missing required property 'RUNTIME_VERSION'")
	case spec.handler == "":
		return nil, compileError("missing required property 'HANDLER'")
	case spec.body == "":
		return nil, compileError("missing function body after AS")
	}
	if kind == "PROCEDURE" && !hasPackage(spec.packages, snowparkPackage) {
		return nil, compileError("a Python stored procedure needs '%s' in PACKAGES", snowparkPackage)
	}

	key := functionKey(kind, spec.name)
	display := spec.name.String() + "()"
	if e.sess.functions[key] != nil {
		if res, err := existing(h, display); res != nil || err != nil {
			return res, err
		}
	}

	var plan installPlan
	if len(spec.packages) > 0 {
		if plan, err = e.planInstall(spec); err != nil {
			return nil, err
		}
	}
	e.after = func(ctx context.Context) (*result, error) {
		var installed []string
		if len(spec.packages) > 0 {
			if installed, err = e.s.install(ctx, plan, spec.packages); err != nil {
				return nil, err
			}
		}
		e.s.mu.Lock()
		e.sess.functions[key] = &function{kind: kind, name: spec.name, packages: spec.packages, result: strings.Join(installed, ",")}
		e.s.mu.Unlock()
		word := "Function"
		if kind == "PROCEDURE" {
			word = "Procedure"
		}
		return ddlResult(word + " " + quoteIfNeeded(spec.name.Name) + " successfully created."), nil
	}
	return nil, nil
}

func (e *execution) parseFunction() (functionSpec, error) {
	p := e.p
	var spec functionSpec
	parts, err := p.name()
	if err != nil {
		return spec, err
	}
	if spec.name, _, err = e.objectName(parts); err != nil {
		return spec, err
	}
	if err := p.expectSymbol("("); err != nil {
		return spec, err
	}
	if !p.acceptSymbol(")") {
		return spec, compileError("the sandbox supports only functions without arguments")
	}

	for p.peek().kind != tokEOF {
		switch {
		case p.accept("RETURNS"):
			_, err = p.ident()
		case p.accept("LANGUAGE"):
			spec.language, err = p.ident()
		case p.accept("AS"):
			t := p.next()
			if t.kind != tokDollar && t.kind != tokString {
				return spec, syntaxError(t.pos, "unexpected '"+t.text+"'")
			}
			spec.body = t.text
		default:
			var key string
			if key, err = p.property(); err != nil {
				return spec, err
			}
			switch key {
			case "RUNTIME_VERSION":
				spec.runtime, err = p.stringLiteral()
			case "ARTIFACT_REPOSITORY":
				spec.repository, err = p.name()
			case "PACKAGES":
				spec.packages, err = p.stringList()
			case "HANDLER":
				spec.handler, err = p.stringLiteral()
			case "COMMENT":
				_, err = p.stringLiteral()
			default:
				return spec, compileError("property '%s' is not supported by the sandbox", key)
			}
		}
		if err != nil {
			return spec, err
		}
	}
	return spec, nil
}

var (
	projectSeparators = regexp.MustCompile(`[-_.]+`)
	projectName       = regexp.MustCompile(`^[A-Za-z0-9._-]+`)
)

// hasPackage reports whether a requirement in packages names project.
func hasPackage(packages []string, project string) bool {
	for _, req := range packages {
		name := projectName.FindString(req)
		if projectSeparators.ReplaceAllString(strings.ToLower(name), "-") == project {
			return true
		}
	}
	return false
}

// installPlan is the repository, address inputs and credentials of one
// install, gathered under the lock.
type installPlan struct {
	account     string
	repository  ObjectName
	indexURL    string
	host        string
	user, pass  string
	privateLink bool
}

// planInstall resolves the function's artifact repository (its own, or the
// DEFAULT_PYTHON_ARTIFACT_REPOSITORY of its schema, database or account),
// the integration and the secret, and checks the integration's rules.
func (e *execution) planInstall(spec functionSpec) (installPlan, error) {
	parts := spec.repository
	if parts == nil {
		parts = e.defaultRepository(spec.name)
	}
	if parts == nil {
		return installPlan{}, compileError("no ARTIFACT_REPOSITORY given and no DEFAULT_PYTHON_ARTIFACT_REPOSITORY set; the sandbox has no shared package repository")
	}
	name, repo, err := e.repository(parts)
	if err != nil {
		return installPlan{}, err
	}
	integration := e.account.Integrations[repo.Integration]
	if integration == nil {
		return installPlan{}, notExistError("Integration", repo.Integration)
	}
	if !integration.Enabled {
		return installPlan{}, compileError("integration %s is disabled", quoteIfNeeded(integration.Name))
	}
	if err := checkRepositoryAccess(integration, repo); err != nil {
		return installPlan{}, err
	}

	u, err := url.Parse(repo.IndexURL)
	if err != nil {
		return installPlan{}, compileError("invalid INDEX_URL '%s'", repo.IndexURL)
	}
	plan := installPlan{account: e.sess.account, repository: name, indexURL: repo.IndexURL, host: u.Hostname(), privateLink: integration.UsePrivateLink}
	if repo.Secret.Name != "" {
		secret := e.account.Databases[repo.Secret.Database].Schemas[repo.Secret.Schema].Secrets[repo.Secret.Name]
		if secret == nil {
			return installPlan{}, notExistError("Secret", repo.Secret.String())
		}
		if plan.user, plan.pass, err = e.s.secretCredentials(secret); err != nil {
			return installPlan{}, err
		}
	}
	return plan, nil
}

// secretCredentials returns the basic-auth user and password that Snowflake
// sends for a secret.
//
// NOTE: Snowflake sends a GENERIC_STRING secret as Basic base64(token).
// The Installer takes a user and a password, so the sandbox splits the token
// at its first ':' and sends a token without one as the user with an empty
// password, which encodes "token:" rather than "token".
func (s *Server) secretCredentials(secret *Secret) (string, string, error) {
	password, token, err := s.OpenSecret(secret)
	if err != nil {
		return "", "", err
	}
	if secret.Type == "PASSWORD" {
		return secret.Username, password, nil
	}
	user, pass, _ := strings.Cut(token, ":")
	return user, pass, nil
}

// defaultRepository returns the most specific DEFAULT_PYTHON_ARTIFACT_REPOSITORY
// for a function in name's schema, as name parts, or nil.
func (e *execution) defaultRepository(name ObjectName) []string {
	db := e.account.Databases[name.Database]
	values := []string{
		db.Schemas[name.Schema].Parameters[parameterDefaultRepository],
		db.Parameters[parameterDefaultRepository],
		e.account.Parameters[parameterDefaultRepository],
	}
	for _, v := range values {
		if v == "" {
			continue
		}
		tokens, err := tokenize(v)
		if err != nil {
			return nil
		}
		parts, err := (&parser{tokens: tokens}).name()
		if err != nil {
			return nil
		}
		return parts
	}
	return nil
}

// install finds the address that serves the index host, then runs the
// Installer. It runs without the lock.
func (s *Server) install(ctx context.Context, plan installPlan, packages []string) ([]string, error) {
	if s.opts.Installer == nil {
		return nil, &SQLError{Code: "100357", SQLState: "P0000", Message: "the sandbox has no package installer configured"}
	}
	addr, err := s.indexAddress(plan)
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithTimeout(ctx, s.opts.InstallTimeout)
	defer cancel()
	installed, err := s.opts.Installer.Install(ctx, addr, plan.indexURL, plan.user, plan.pass, packages)
	if err != nil {
		s.log.Warn("package install failed", "repository", plan.repository.String(), "error", err)
		return nil, installError(plan, err)
	}
	return installed, nil
}

// indexAddress returns the loopback address for the index host: through a
// CREATED private endpoint when the integration uses private link, else
// through Options.PublicAddress.
func (s *Server) indexAddress(plan installPlan) (string, error) {
	if !plan.privateLink {
		if s.opts.PublicAddress == nil {
			return "", installError(plan, errors.New("the sandbox has no public network path to "+plan.host))
		}
		addr, err := s.opts.PublicAddress(plan.host)
		if err != nil {
			return "", installError(plan, err)
		}
		return addr, nil
	}

	endpoints := s.endpointsFor(plan.account, plan.host)
	for _, ep := range endpoints {
		state, _ := s.endpointState(ep)
		if state.endpointState != "CREATED" {
			continue
		}
		addr, err := s.opts.Link.Address(ep.ServiceName)
		if err != nil {
			return "", installError(plan, fmt.Errorf("private endpoint to %s does not reach a server: %w", ep.ServiceName, err))
		}
		return addr, nil
	}
	if len(endpoints) == 0 {
		return "", installError(plan, fmt.Errorf("no private endpoint in state CREATED for host '%s'; provision one with SYSTEM$PROVISION_PRIVATELINK_ENDPOINT "+
			"and wait until its status is Available on AWS, APPROVED on Azure or ACCEPTED on GCP", plan.host))
	}
	ep := endpoints[0]
	return "", installError(plan, fmt.Errorf("no private endpoint in state CREATED for host '%s'; wait until the endpoint to %s is CREATED and its status is %s",
		plan.host, ep.ServiceName, liveStatus(ep.ServiceName)))
}

// installError words an install failure like Snowflake's troubleshooting
// table: an error that carries an HTTPStatus() int method is mapped to the
// cause Snowflake's guide gives for that status.
func installError(plan installPlan, err error) *SQLError {
	reason := err.Error()
	var status interface{ HTTPStatus() int }
	if errors.As(err, &status) {
		switch status.HTTPStatus() {
		case 401:
			reason = "HTTP 401: bad credentials in the secret (" + reason + ")"
		case 403:
			reason = "HTTP 403: the repository blocked the package or redirected to a host outside API_ALLOWED_PREFIXES (" + reason + ")"
		case 404:
			reason = "HTTP 404: the package was not found in the repository (" + reason + ")"
		}
	}
	return &SQLError{Code: "100357", SQLState: "P0000", Message: fmt.Sprintf(
		"Failed to install packages from artifact repository %s (host '%s'): %s", plan.repository, plan.host, reason)}
}

func (e *execution) selectStatement() (*result, error) {
	p := e.p
	if t := p.peek(); t.kind == tokNumber {
		p.next()
		if err := p.end(); err != nil {
			return nil, err
		}
		return scalarResult(t.text, t.text), nil
	}

	parts, err := p.name()
	if err != nil {
		return nil, err
	}
	args, err := e.arguments()
	if err != nil {
		return nil, err
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	column := strings.Join(parts, ".") + "(" + strings.Join(quoteAll(args), ", ") + ")"

	if len(parts) == 1 {
		if value, ok := e.sessionFunction(parts[0]); ok {
			return scalarResult(column, value), nil
		}
		if strings.HasPrefix(parts[0], "SYSTEM$") {
			return e.systemFunction(parts[0], args, column)
		}
	}
	return e.callFunction("FUNCTION", parts, args, column)
}

func (e *execution) call() (*result, error) {
	parts, err := e.p.name()
	if err != nil {
		return nil, err
	}
	args, err := e.arguments()
	if err != nil {
		return nil, err
	}
	if err := e.p.end(); err != nil {
		return nil, err
	}
	res, err := e.callFunction("PROCEDURE", parts, args, quoteIfNeeded(parts[len(parts)-1]))
	return res, err
}

// arguments reads ( 'a', 'b' ): the sandbox's functions take only strings.
func (e *execution) arguments() ([]string, error) {
	return e.p.stringList()
}

func (e *execution) callFunction(kind string, parts, args []string, column string) (*result, error) {
	name, _, err := e.objectName(parts)
	if err != nil {
		return nil, err
	}
	fn := e.sess.functions[functionKey(kind, name)]
	if fn == nil || len(args) > 0 {
		what := "Unknown function"
		if kind == "PROCEDURE" {
			what = "Unknown user-defined procedure"
		}
		return nil, &SQLError{Code: "002141", SQLState: "42601", Message: fmt.Sprintf("SQL compilation error:\n%s %s", what, name)}
	}
	if e.sess.missingWarehouse != "" {
		e.s.log.Info("function called without a warehouse", "session_id", e.sess.id, "warehouse", e.sess.missingWarehouse)
		return nil, noWarehouseError()
	}
	return scalarResult(column, fn.result), nil
}

// sessionFunction returns the value of a CURRENT_... context function.
func (e *execution) sessionFunction(name string) (string, bool) {
	switch name {
	case "CURRENT_ACCOUNT":
		return e.sess.account, true
	case "CURRENT_USER":
		return e.sess.user, true
	case "CURRENT_ROLE":
		return e.sess.role, true
	case "CURRENT_DATABASE":
		return e.sess.database, true
	case "CURRENT_SCHEMA":
		return e.sess.schema, true
	case "CURRENT_WAREHOUSE":
		return e.sess.warehouse, true
	}
	return "", false
}

func quoteAll(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return out
}

// OpenSecret returns the password and the secret string of a SECRET from
// Snapshot, opened from their sealed form. An unset one is empty.
func (s *Server) OpenSecret(secret *Secret) (password, secretString string, err error) {
	if password, err = s.sealer.Open(secret.Password); err != nil {
		return "", "", fmt.Errorf("open the password of secret %s: %w", secret.Name, err)
	}
	if secretString, err = s.sealer.Open(secret.SecretString); err != nil {
		return "", "", fmt.Errorf("open the secret string of secret %s: %w", secret.Name, err)
	}
	return password, secretString, nil
}
