package sfsim

import (
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// showScope is the IN clause of a SHOW command.
type showScope struct {
	database string // "" for the whole account
	schema   string // "" for the whole database
}

func (e *execution) show() (*result, error) {
	p := e.p
	switch {
	case p.accept("SECRETS"):
		return e.showSchemaObjects("SECRETS")
	case p.accept("ARTIFACT", "REPOSITORIES"):
		return e.showSchemaObjects("REPOSITORIES")
	case p.accept("API", "INTEGRATIONS"), p.accept("INTEGRATIONS"):
		return e.showIntegrations()
	case p.accept("PARAMETERS"):
		return e.showParameters()
	case p.accept("GRANTS", "ON"):
		return e.showGrants()
	case p.accept("ROLES"):
		return e.showRoles()
	}
	return nil, p.unexpected()
}

// likeClause reads an optional LIKE 'pattern' and returns its matcher.
func (e *execution) likeClause() (func(string) bool, error) {
	if !e.p.accept("LIKE") {
		return func(string) bool { return true }, nil
	}
	pattern, err := e.p.stringLiteral()
	if err != nil {
		return nil, err
	}
	re := likeRegexp(pattern)
	return re.MatchString, nil
}

// likeRegexp compiles a LIKE pattern: % is any run, _ any one character, a
// backslash escapes the next character, and case is ignored as in SHOW.
func likeRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?is)^")
	runes := []rune(pattern)
	for i := 0; i < len(runes); i++ {
		switch r := runes[i]; {
		case r == '\\' && i+1 < len(runes):
			i++
			b.WriteString(regexp.QuoteMeta(string(runes[i])))
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// inClause reads an optional IN ACCOUNT | IN DATABASE d | IN SCHEMA d.s.
// Without one, the scope is the current schema or database.
func (e *execution) inClause() (showScope, error) {
	p := e.p
	if !p.accept("IN") {
		return showScope{database: e.sess.database, schema: e.sess.schema}, nil
	}
	switch {
	case p.accept("ACCOUNT"):
		return showScope{}, nil
	case p.accept("DATABASE"):
		db, err := p.ident()
		if err != nil {
			return showScope{}, err
		}
		if e.account.Databases[db] == nil {
			return showScope{}, notExistError("Database", db)
		}
		return showScope{database: db}, nil
	default:
		p.accept("SCHEMA")
		parts, err := p.name()
		if err != nil {
			return showScope{}, err
		}
		db, schema, err := e.schemaParts(parts)
		if err != nil {
			return showScope{}, err
		}
		return showScope{database: db, schema: schema}, nil
	}
}

// schemasIn returns the schemas of the scope in a stable order.
func (e *execution) schemasIn(scope showScope) []ObjectName {
	var out []ObjectName
	for dbName, db := range e.account.Databases {
		if scope.database != "" && dbName != scope.database {
			continue
		}
		for schemaName := range db.Schemas {
			if scope.schema != "" && schemaName != scope.schema {
				continue
			}
			out = append(out, ObjectName{Database: dbName, Schema: schemaName})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func (e *execution) showSchemaObjects(kind string) (*result, error) {
	match, err := e.likeClause()
	if err != nil {
		return nil, err
	}
	scope, err := e.inClause()
	if err != nil {
		return nil, err
	}
	if err := e.p.end(); err != nil {
		return nil, err
	}

	res := &result{columns: []string{"created_on", "name", "schema_name", "database_name", "owner", "comment", "secret_type", "oauth_scopes", "owner_role_type"}}
	if kind == "REPOSITORIES" {
		res.columns = []string{"created_on", "name", "database_name", "schema_name", "type", "api_integration", "owner", "owner_role_type", "comment"}
	}
	for _, loc := range e.schemasIn(scope) {
		schema := e.account.Databases[loc.Database].Schemas[loc.Schema]
		if kind == "SECRETS" {
			for _, name := range sortedKeys(schema.Secrets) {
				s := schema.Secrets[name]
				if match(name) {
					res.rows = append(res.rows, cells(timestamp(s.CreatedOn), name, loc.Schema, loc.Database, s.Owner, s.Comment, s.Type, "", "ROLE"))
				}
			}
			continue
		}
		for _, name := range sortedKeys(schema.Repositories) {
			r := schema.Repositories[name]
			if match(name) {
				res.rows = append(res.rows, cells(timestamp(r.CreatedOn), name, loc.Database, loc.Schema, r.Type, r.Integration, r.Owner, "ROLE", r.Comment))
			}
		}
	}
	return res, nil
}

// NOTE: the type and category that SHOW INTEGRATIONS prints for an
// ARTIFACT_REPOSITORY_API integration are not documented; the sandbox prints
// those of other API integrations.
func (e *execution) showIntegrations() (*result, error) {
	match, err := e.likeClause()
	if err != nil {
		return nil, err
	}
	if err := e.p.end(); err != nil {
		return nil, err
	}
	res := &result{columns: []string{"name", "type", "category", "enabled", "comment", "created_on"}}
	for _, name := range sortedKeys(e.account.Integrations) {
		in := e.account.Integrations[name]
		if match(name) {
			res.rows = append(res.rows, cells(name, "EXTERNAL_API", "API", boolText(in.Enabled), in.Comment, timestamp(in.CreatedOn)))
		}
	}
	return res, nil
}

// parameterLevel is the parameters set on one object of the
// account, database, schema chain.
type parameterLevel struct {
	name   string
	params map[string]string
}

func (e *execution) showParameters() (*result, error) {
	match, err := e.likeClause()
	if err != nil {
		return nil, err
	}
	levels := []parameterLevel{{"ACCOUNT", e.account.Parameters}}
	if e.p.accept("IN") {
		switch {
		case e.p.accept("ACCOUNT"):
		case e.p.accept("DATABASE"):
			db, err := e.p.ident()
			if err != nil {
				return nil, err
			}
			d := e.account.Databases[db]
			if d == nil {
				return nil, notExistError("Database", db)
			}
			levels = append(levels, parameterLevel{"DATABASE", d.Parameters})
		case e.p.accept("SCHEMA"):
			parts, err := e.p.name()
			if err != nil {
				return nil, err
			}
			db, schema, err := e.schemaParts(parts)
			if err != nil {
				return nil, err
			}
			d := e.account.Databases[db]
			levels = append(levels, parameterLevel{"DATABASE", d.Parameters}, parameterLevel{"SCHEMA", d.Schemas[schema].Parameters})
		default:
			return nil, e.p.unexpected()
		}
	}
	if err := e.p.end(); err != nil {
		return nil, err
	}

	// The most specific level that sets the parameter wins.
	value, level := "", ""
	for _, l := range levels {
		if v, ok := l.params[parameterDefaultRepository]; ok {
			value, level = v, l.name
		}
	}
	res := &result{columns: []string{"key", "value", "default", "level", "description", "type"}}
	if match(parameterDefaultRepository) {
		res.rows = append(res.rows, cells(parameterDefaultRepository, value, "", level,
			"Default artifact repository for new Python functions and procedures.", "STRING"))
	}
	return res, nil
}

func (e *execution) showGrants() (*result, error) {
	objectType, objectName, err := e.grantTarget()
	if err != nil {
		return nil, err
	}
	if err := e.p.end(); err != nil {
		return nil, err
	}
	res := &result{columns: []string{"created_on", "privilege", "granted_on", "name", "granted_to", "grantee_name", "grant_option", "granted_by"}}
	if owner, created := e.owner(objectType, objectName); owner != "" {
		res.rows = append(res.rows, cells(timestamp(created), "OWNERSHIP", objectType, objectName, "ROLE", owner, "true", owner))
	}
	for _, g := range e.account.Grants {
		if g.ObjectType == objectType && g.ObjectName == objectName {
			res.rows = append(res.rows, cells(timestamp(g.CreatedOn), g.Privilege, g.ObjectType, g.ObjectName, "ROLE", g.Role, "false", g.GrantedBy))
		}
	}
	return res, nil
}

// showRoles runs SHOW ROLES [LIKE 'pattern'], in the form and with the
// columns of Snowflake's SHOW ROLES reference page
// (https://docs.snowflake.com/en/sql-reference/sql/show-roles). Its other
// clauses, TERSE, IN CLASS, STARTS WITH and LIMIT, fail to parse.
//
// NOTE: Snowflake lists only the roles that the current role can view. The
// sandbox has no role hierarchy, so it lists every role in every session,
// with 0 for the counts of users and roles and no owner.
func (e *execution) showRoles() (*result, error) {
	match, err := e.likeClause()
	if err != nil {
		return nil, err
	}
	if err := e.p.end(); err != nil {
		return nil, err
	}
	defaultRole := ""
	if user := e.account.Users[e.sess.user]; user != nil {
		defaultRole = user.DefaultRole
	}
	res := &result{columns: []string{"created_on", "name", "is_default", "is_current", "is_inherited",
		"assigned_to_users", "granted_to_roles", "granted_roles", "owner", "comment"}}
	for _, name := range sortedKeys(e.account.Roles) {
		if !match(name) {
			continue
		}
		role := e.account.Roles[name]
		res.rows = append(res.rows, cells(timestamp(role.CreatedOn), name, yesNo(name == defaultRole),
			yesNo(name == e.sess.role), "N", "0", "0", "0", "", ""))
	}
	return res, nil
}

// owner returns the owner role of a grant target, when the sandbox tracks
// one.
func (e *execution) owner(objectType, objectName string) (string, time.Time) {
	switch objectType {
	case "INTEGRATION":
		for name, in := range e.account.Integrations {
			if quoteIfNeeded(name) == objectName {
				return in.Owner, in.CreatedOn
			}
		}
	case "ARTIFACT_REPOSITORY":
		for _, loc := range e.schemasIn(showScope{}) {
			schema := e.account.Databases[loc.Database].Schemas[loc.Schema]
			for name, r := range schema.Repositories {
				loc.Name = name
				if loc.String() == objectName {
					return r.Owner, r.CreatedOn
				}
			}
		}
	}
	return "", time.Time{}
}

func cells(values ...string) []*string {
	out := make([]*string, len(values))
	for i := range values {
		out[i] = &values[i]
	}
	return out
}

func timestamp(t time.Time) string {
	return t.Format("2006-01-02 15:04:05.000 -0700")
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// yesNo renders a flag the way SHOW ROLES prints it.
func yesNo(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

func sortedKeys[T any](m map[string]T) []string {
	return slices.Sorted(maps.Keys(m))
}
