package sfsim

import (
	"context"
	"strings"
)

// execution is one statement run against one session. Statements that call
// out of the sandbox (package installs, private link) set after, which runs
// without the lock.
type execution struct {
	s       *Server
	sess    *session
	account *Account
	p       *parser
	changed bool
	after   func(ctx context.Context) (*result, error)
}

// run parses and executes one SQL text. A text with more than one statement
// fails the way Snowflake fails it when MULTI_STATEMENT_COUNT is 1.
func (s *Server) run(ctx context.Context, sess *session, sql string) (*result, error) {
	tokens, err := tokenize(sql)
	if err != nil {
		return nil, err
	}
	statements := splitStatements(tokens)
	switch {
	case len(statements) == 0:
		return nil, &SQLError{Code: "000900", SQLState: "42000", Message: "SQL compilation error:\nEmpty SQL statement."}
	case len(statements) > 1:
		return nil, &SQLError{Code: "000006", SQLState: "0A000", Message: "Multiple SQL statements in a single API call are not supported; use one API call per statement instead."}
	}

	s.mu.Lock()
	e := &execution{s: s, sess: sess, account: s.world.Accounts[sess.account], p: &parser{tokens: statements[0]}}
	res, err := e.execute()
	if err == nil && e.changed {
		err = s.save(sess.account)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if e.after != nil {
		return e.after(ctx)
	}
	return res, nil
}

func (e *execution) execute() (*result, error) {
	p := e.p
	switch {
	case p.accept("SELECT"):
		return e.selectStatement()
	case p.accept("CALL"):
		return e.call()
	case p.accept("USE"):
		return e.use()
	case p.accept("ALTER"):
		return e.alter()
	case p.accept("CREATE"):
		return e.create()
	case p.accept("DROP"):
		return e.drop()
	case p.accept("GRANT"):
		return e.grant()
	case p.accept("REVOKE"):
		return e.revoke()
	case p.accept("SHOW"):
		return e.show()
	case p.accept("DESCRIBE"), p.accept("DESC"):
		return e.describe()
	}
	return nil, p.unexpected()
}

func (e *execution) use() (*result, error) {
	p := e.p
	switch {
	case p.accept("ROLE"):
		role, err := p.lastIdent()
		if err != nil {
			return nil, err
		}
		if e.account.Roles[role] == nil {
			return nil, notExistError("Role", role)
		}
		e.sess.role = role
	case p.accept("WAREHOUSE"):
		wh, err := p.lastIdent()
		if err != nil {
			return nil, err
		}
		// NOTE: the code and message of this error are the sandbox's
		// does-not-exist error, not checked against Snowflake.
		if e.account.Warehouses[wh] == nil {
			return nil, notExistError("Warehouse", wh)
		}
		e.sess.warehouse, e.sess.missingWarehouse = wh, ""
	case p.accept("SCHEMA"):
		parts, err := p.lastName()
		if err != nil {
			return nil, err
		}
		db, schema, err := e.schemaParts(parts)
		if err != nil {
			return nil, err
		}
		e.sess.database, e.sess.schema = db, schema
	default:
		p.accept("DATABASE")
		parts, err := p.lastName()
		if err != nil {
			return nil, err
		}
		if len(parts) != 1 {
			return nil, compileError("invalid database name")
		}
		if e.account.Databases[parts[0]] == nil {
			return nil, notExistError("Database", parts[0])
		}
		e.sess.database, e.sess.schema = parts[0], ""
		if e.account.Databases[parts[0]].Schemas["PUBLIC"] != nil {
			e.sess.schema = "PUBLIC"
		}
	}
	return ddlResult("Statement executed successfully."), nil
}

// schemaParts resolves a one- or two-part schema name to an existing schema.
func (e *execution) schemaParts(parts []string) (string, string, error) {
	db, schema := e.sess.database, parts[len(parts)-1]
	switch len(parts) {
	case 1:
		if db == "" {
			return "", "", &SQLError{Code: "090105", SQLState: "22000", Message: "Cannot perform operation. This session does not have a current database. Call 'USE DATABASE', or use a qualified name."}
		}
	case 2:
		db = parts[0]
	default:
		return "", "", compileError("invalid schema name '%s'", strings.Join(parts, "."))
	}
	d := e.account.Databases[db]
	if d == nil {
		return "", "", notExistError("Database", db)
	}
	if d.Schemas[schema] == nil {
		return "", "", notExistError("Schema", db+"."+schema)
	}
	return db, schema, nil
}

// objectName resolves a schema-level object name against the session's
// current database and schema. The schema must exist; the object need not.
func (e *execution) objectName(parts []string) (ObjectName, *Schema, error) {
	var db, schema []string
	switch len(parts) {
	case 1:
		if e.sess.database == "" || e.sess.schema == "" {
			return ObjectName{}, nil, &SQLError{Code: "090106", SQLState: "22000", Message: "Cannot perform operation. This session does not have a current schema. Call 'USE SCHEMA', or use a qualified name."}
		}
		db, schema = []string{e.sess.database}, []string{e.sess.schema}
	case 2:
		db, schema = []string{e.sess.database}, parts[:1]
		if e.sess.database == "" {
			return ObjectName{}, nil, &SQLError{Code: "090105", SQLState: "22000", Message: "Cannot perform operation. This session does not have a current database. Call 'USE DATABASE', or use a qualified name."}
		}
	default:
		db, schema = parts[:1], parts[1:2]
	}
	dbName, schemaName, err := e.schemaParts(append(db, schema...))
	if err != nil {
		return ObjectName{}, nil, err
	}
	name := ObjectName{Database: dbName, Schema: schemaName, Name: parts[len(parts)-1]}
	return name, e.account.Databases[dbName].Schemas[schemaName], nil
}

func (e *execution) alter() (*result, error) {
	p := e.p
	switch {
	case p.accept("SESSION"):
		// Session parameters such as GO_QUERY_RESULT_FORMAT change nothing
		// in the sandbox, which always returns JSON rowsets.
		for p.peek().kind != tokEOF {
			p.next()
		}
		return ddlResult("Statement executed successfully."), nil
	case p.accept("SECRET"):
		return e.alterSecret()
	case p.accept("API", "INTEGRATION"), p.accept("INTEGRATION"):
		return e.alterIntegration()
	case p.accept("ARTIFACT", "REPOSITORY"):
		return e.alterRepository()
	case p.accept("ACCOUNT"):
		return e.alterParameters(e.account.Parameters)
	case p.accept("DATABASE"):
		name, err := accountObjectName(e, "Database", e.account.Databases)
		if err != nil {
			return nil, err
		}
		return e.alterParameters(e.account.Databases[name].Parameters)
	case p.accept("SCHEMA"):
		parts, err := p.name()
		if err != nil {
			return nil, err
		}
		db, schema, err := e.schemaParts(parts)
		if err != nil {
			return nil, err
		}
		return e.alterParameters(e.account.Databases[db].Schemas[schema].Parameters)
	}
	return nil, p.unexpected()
}

// alterParameters runs SET or UNSET of DEFAULT_PYTHON_ARTIFACT_REPOSITORY.
func (e *execution) alterParameters(params map[string]string) (*result, error) {
	p := e.p
	switch {
	case p.accept("SET"):
		key, err := p.property()
		if err != nil {
			return nil, err
		}
		if key != parameterDefaultRepository {
			return nil, compileError("invalid property '%s' for 'ALTER'", key)
		}
		parts, err := p.lastName()
		if err != nil {
			return nil, err
		}
		name, _, err := e.repository(parts)
		if err != nil {
			return nil, err
		}
		params[key] = name.String()
	case p.accept("UNSET"):
		key, err := p.lastIdent()
		if err != nil {
			return nil, err
		}
		delete(params, key)
	default:
		return nil, p.unexpected()
	}
	e.changed = true
	return ddlResult("Statement executed successfully."), nil
}

// parameterDefaultRepository is the parameter that names the artifact
// repository for new Python functions without one of their own.
const parameterDefaultRepository = "DEFAULT_PYTHON_ARTIFACT_REPOSITORY"

// createHeader is the modifiers between CREATE and the object name.
type createHeader struct {
	orReplace   bool
	temporary   bool
	ifNotExists bool
}

func (e *execution) create() (*result, error) {
	p := e.p
	var h createHeader
	if p.accept("OR") {
		if err := p.expect("REPLACE"); err != nil {
			return nil, err
		}
		h.orReplace = true
	}
	h.temporary = p.accept("TEMPORARY") || p.accept("TEMP")

	kind := ""
	switch {
	case p.accept("SECRET"):
		kind = "SECRET"
	case p.accept("API", "INTEGRATION"):
		kind = "INTEGRATION"
	case p.accept("ARTIFACT", "REPOSITORY"):
		kind = "REPOSITORY"
	case p.accept("FUNCTION"):
		kind = "FUNCTION"
	case p.accept("PROCEDURE"):
		kind = "PROCEDURE"
	case p.accept("DATABASE"):
		kind = "DATABASE"
	case p.accept("SCHEMA"):
		kind = "SCHEMA"
	case p.accept("ROLE"):
		kind = "ROLE"
	default:
		return nil, p.unexpected()
	}
	if p.accept("IF") {
		if err := p.expect("NOT", "EXISTS"); err != nil {
			return nil, err
		}
		h.ifNotExists = true
	}
	if h.orReplace && h.ifNotExists {
		return nil, compileError("IF NOT EXISTS and OR REPLACE are incompatible.")
	}
	if h.temporary && kind != "FUNCTION" && kind != "PROCEDURE" {
		return nil, compileError("TEMPORARY is not supported for this object type in the sandbox")
	}

	switch kind {
	case "SECRET":
		return e.createSecret(h)
	case "INTEGRATION":
		return e.createIntegration(h)
	case "REPOSITORY":
		return e.createRepository(h)
	case "FUNCTION", "PROCEDURE":
		return e.createFunction(h, kind)
	case "DATABASE":
		return e.createDatabase(h)
	case "SCHEMA":
		return e.createSchema(h)
	default:
		return e.createRole(h)
	}
}

// existing decides what to do about an object that already exists: nil
// result and nil error mean "go on and replace it".
func existing(h createHeader, display string) (*result, error) {
	switch {
	case h.ifNotExists:
		return ddlResult(display + " already exists, statement succeeded."), nil
	case h.orReplace:
		return nil, nil
	}
	return nil, alreadyExistsError(display)
}

func (e *execution) createDatabase(h createHeader) (*result, error) {
	name, err := e.p.lastIdent()
	if err != nil {
		return nil, err
	}
	if e.account.Databases[name] != nil {
		if res, err := existing(h, quoteIfNeeded(name)); res != nil || err != nil {
			return res, err
		}
	}
	e.account.Databases[name] = newDatabase(name, e.s.now())
	e.sess.database, e.sess.schema = name, "PUBLIC"
	e.changed = true
	return ddlResult("Database " + quoteIfNeeded(name) + " successfully created."), nil
}

func (e *execution) createSchema(h createHeader) (*result, error) {
	parts, err := e.p.lastName()
	if err != nil {
		return nil, err
	}
	db := e.sess.database
	if len(parts) == 2 {
		db = parts[0]
	}
	d := e.account.Databases[db]
	if d == nil || len(parts) > 2 {
		return nil, notExistError("Database", db)
	}
	name := parts[len(parts)-1]
	if d.Schemas[name] != nil {
		if res, err := existing(h, quoteIfNeeded(name)); res != nil || err != nil {
			return res, err
		}
	}
	d.Schemas[name] = newSchema(name, e.s.now())
	e.changed = true
	return ddlResult("Schema " + quoteIfNeeded(name) + " successfully created."), nil
}

func (e *execution) createRole(h createHeader) (*result, error) {
	name, err := e.p.lastIdent()
	if err != nil {
		return nil, err
	}
	if e.account.Roles[name] != nil {
		if res, err := existing(h, quoteIfNeeded(name)); res != nil || err != nil {
			return res, err
		}
	}
	e.account.Roles[name] = &Role{Name: name, CreatedOn: e.s.now()}
	e.changed = true
	return ddlResult("Role " + quoteIfNeeded(name) + " successfully created."), nil
}

func (e *execution) drop() (*result, error) {
	p := e.p
	kind := ""
	switch {
	case p.accept("SECRET"):
		kind = "Secret"
	case p.accept("API", "INTEGRATION"), p.accept("INTEGRATION"):
		kind = "Integration"
	case p.accept("ARTIFACT", "REPOSITORY"):
		kind = "Artifact repository"
	case p.accept("FUNCTION"):
		kind = "Function"
	case p.accept("PROCEDURE"):
		kind = "Procedure"
	default:
		return nil, p.unexpected()
	}
	ifExists := false
	if p.accept("IF") {
		if err := p.expect("EXISTS"); err != nil {
			return nil, err
		}
		ifExists = true
	}
	parts, err := p.name()
	if err != nil {
		return nil, err
	}
	if kind == "Function" || kind == "Procedure" {
		if err := p.expectSymbol("("); err != nil {
			return nil, err
		}
		if err := p.expectSymbol(")"); err != nil {
			return nil, err
		}
	}
	if err := p.end(); err != nil {
		return nil, err
	}

	found, display, err := e.remove(kind, parts)
	if err != nil {
		return nil, err
	}
	if !found {
		if ifExists {
			return ddlResult("Drop statement executed successfully (" + display + " already dropped)."), nil
		}
		return nil, notExistError(kind, display)
	}
	e.changed = true
	return ddlResult(display + " successfully dropped."), nil
}

// remove deletes the named object and reports whether it existed.
func (e *execution) remove(kind string, parts []string) (bool, string, error) {
	if kind == "Integration" {
		if len(parts) != 1 {
			return false, "", compileError("invalid integration name")
		}
		_, ok := e.account.Integrations[parts[0]]
		delete(e.account.Integrations, parts[0])
		e.dropGrants("INTEGRATION", quoteIfNeeded(parts[0]))
		return ok, quoteIfNeeded(parts[0]), nil
	}
	name, schema, err := e.objectName(parts)
	if err != nil {
		return false, "", err
	}
	switch kind {
	case "Secret":
		_, ok := schema.Secrets[name.Name]
		delete(schema.Secrets, name.Name)
		return ok, name.String(), nil
	case "Artifact repository":
		_, ok := schema.Repositories[name.Name]
		delete(schema.Repositories, name.Name)
		e.dropGrants("ARTIFACT_REPOSITORY", name.String())
		return ok, name.String(), nil
	}
	key := functionKey(strings.ToUpper(kind), name)
	_, ok := e.sess.functions[key]
	delete(e.sess.functions, key)
	return ok, name.String() + "()", nil
}

// dropGrants removes the grants on a dropped object, as Snowflake drops
// them with it.
func (e *execution) dropGrants(objectType, objectName string) {
	kept := e.account.Grants[:0]
	for _, g := range e.account.Grants {
		if g.ObjectType != objectType || g.ObjectName != objectName {
			kept = append(kept, g)
		}
	}
	e.account.Grants = kept
}

func (e *execution) grant() (*result, error) {
	g, err := e.grantClause("TO")
	if err != nil {
		return nil, err
	}
	for _, held := range e.account.Grants {
		if sameGrant(held, g) {
			return ddlResult("Statement executed successfully."), nil
		}
	}
	g.GrantedBy, g.CreatedOn = e.sess.role, e.s.now()
	e.account.Grants = append(e.account.Grants, g)
	e.changed = true
	return ddlResult("Statement executed successfully."), nil
}

// revoke runs REVOKE privilege ON object FROM ROLE role. Revoking a
// privilege that the role does not hold succeeds and changes nothing.
// NOTE: that case is not checked against Snowflake. The grants step revokes
// only grants that SHOW GRANTS lists, so it does not depend on it.
func (e *execution) revoke() (*result, error) {
	g, err := e.grantClause("FROM")
	if err != nil {
		return nil, err
	}
	remaining := e.account.Grants[:0]
	for _, held := range e.account.Grants {
		if sameGrant(held, g) {
			e.changed = true
			continue
		}
		remaining = append(remaining, held)
	}
	e.account.Grants = remaining
	return ddlResult("Statement executed successfully."), nil
}

// grantClause parses the rest of GRANT or REVOKE: privilege ON object,
// then preposition (TO or FROM) ROLE role. It checks that the object and
// the role exist.
func (e *execution) grantClause(preposition string) (Grant, error) {
	p := e.p
	privilege, err := p.ident()
	if err != nil {
		return Grant{}, err
	}
	if err := p.expect("ON"); err != nil {
		return Grant{}, err
	}
	objectType, objectName, err := e.grantTarget()
	if err != nil {
		return Grant{}, err
	}
	if err := p.expect(preposition, "ROLE"); err != nil {
		return Grant{}, err
	}
	role, err := p.lastIdent()
	if err != nil {
		return Grant{}, err
	}
	if e.account.Roles[role] == nil {
		return Grant{}, notExistError("Role", role)
	}
	return Grant{Privilege: privilege, ObjectType: objectType, ObjectName: objectName, Role: role}, nil
}

// sameGrant reports whether a and b give the same privilege on the same
// object to the same role.
func sameGrant(a, b Grant) bool {
	return a.Privilege == b.Privilege && a.ObjectType == b.ObjectType && a.ObjectName == b.ObjectName && a.Role == b.Role
}

// grantTarget reads the object of GRANT, REVOKE and SHOW GRANTS ON, checks that it
// exists and returns its type and name as SHOW GRANTS prints them.
func (e *execution) grantTarget() (string, string, error) {
	p := e.p
	switch {
	case p.accept("INTEGRATION"):
		name, err := accountObjectName(e, "Integration", e.account.Integrations)
		if err != nil {
			return "", "", err
		}
		return "INTEGRATION", quoteIfNeeded(name), nil
	case p.accept("DATABASE"):
		name, err := accountObjectName(e, "Database", e.account.Databases)
		if err != nil {
			return "", "", err
		}
		return "DATABASE", quoteIfNeeded(name), nil
	case p.accept("SCHEMA"):
		parts, err := p.name()
		if err != nil {
			return "", "", err
		}
		db, schema, err := e.schemaParts(parts)
		if err != nil {
			return "", "", err
		}
		return "SCHEMA", quoteIfNeeded(db) + "." + quoteIfNeeded(schema), nil
	case p.accept("ARTIFACT", "REPOSITORY"):
		parts, err := p.name()
		if err != nil {
			return "", "", err
		}
		name, _, err := e.repository(parts)
		if err != nil {
			return "", "", err
		}
		return "ARTIFACT_REPOSITORY", name.String(), nil
	}
	return "", "", p.unexpected()
}

// accountObjectName reads the name of an existing account-level object
// among objects, or fails with the does-not-exist error that names kind.
func accountObjectName[T any](e *execution, kind string, objects map[string]*T) (string, error) {
	parts, err := e.p.name()
	if err != nil {
		return "", err
	}
	if len(parts) != 1 || objects[parts[0]] == nil {
		return "", notExistError(kind, strings.Join(parts, "."))
	}
	return parts[0], nil
}

// repository resolves an existing artifact repository.
func (e *execution) repository(parts []string) (ObjectName, *Repository, error) {
	return resolveObject(e, parts, "Artifact repository", func(s *Schema) map[string]*Repository { return s.Repositories })
}

// secret resolves an existing secret.
func (e *execution) secret(parts []string) (ObjectName, *Secret, error) {
	return resolveObject(e, parts, "Secret", func(s *Schema) map[string]*Secret { return s.Secrets })
}

// resolveObject resolves parts to an existing schema-level object among
// the objects of its schema, or fails with the does-not-exist error that
// names kind.
func resolveObject[T any](e *execution, parts []string, kind string, objects func(*Schema) map[string]*T) (ObjectName, *T, error) {
	name, schema, err := e.objectName(parts)
	if err != nil {
		return ObjectName{}, nil, err
	}
	object := objects(schema)[name.Name]
	if object == nil {
		return ObjectName{}, nil, notExistError(kind, name.String())
	}
	return name, object, nil
}

func functionKey(kind string, name ObjectName) string {
	return kind + " " + name.String()
}
