package snowflake

import (
	"regexp"
	"strings"
)

// ASL error names that Error.ErrorName returns. They equal the constants of
// shared/workflow, which imports this package and so cannot be imported
// here. A test in this package's external tests compares them.
const (
	errorNamePermissionDenied = "PermissionDenied"
	errorNameTransient        = "Transient"
)

// SQLStateInsufficientPrivilege is the SQLSTATE of Snowflake's "SQL access
// control error" (003001), the standard class 42 code for a missing
// privilege.
const SQLStateInsufficientPrivilege = "42501"

// ErrorName returns the ASL error name that Retry and Catch match on, or ""
// when the error has no known class. A missing privilege or a rejected login
// is PermissionDenied, because the fix is a grant or a credential of the
// identity that repolink logs in as, not the request. An error that may
// pass, such as an expired session or an HTTP 503, is Transient.
//
// "Does not exist or not authorized" (002003), "already exists" (002002)
// and syntax errors stay unnamed: the steps that expect them test
// IsNotExist or IsAlreadyExists, and elsewhere the code alone does not
// tell a missing object from a hidden one or a bad request from a bug.
func (e *Error) ErrorName() string {
	switch {
	case IsPermissionDenied(e):
		return errorNamePermissionDenied
	case e.Transient:
		return errorNameTransient
	}
	return ""
}

// IsPermissionDenied reports whether err is Snowflake's "SQL access control
// error" (code 003001, SQLSTATE 42501) or a rejected login (see IsAuth).
func IsPermissionDenied(err error) bool {
	if IsAuth(err) || hasCode(err, CodeInsufficientPrivs) {
		return true
	}
	e, ok := asError(err)
	return ok && e.SQLState == SQLStateInsufficientPrivilege
}

// privilegeAdvice returns what to grant role so that stmt runs, for a
// statement that failed with a missing privilege. An empty role is the
// user's default role. The privileges are those that Snowflake's reference
// lists for each statement; a statement that repolink does not know gets a
// general advice.
func privilegeAdvice(stmt, role string) string {
	grantee := "role " + role
	if role == "" {
		grantee = "the default role of the Snowflake user"
	}
	switch {
	case privateLinkFunction.MatchString(stmt) && strings.EqualFold(role, "ACCOUNTADMIN"):
		return "Snowflake allows the SYSTEM$ private endpoint functions to role ACCOUNTADMIN " +
			"on accounts of the Business Critical edition or higher; check the edition of the account"
	case privateLinkFunction.MatchString(stmt):
		return "the SYSTEM$ private endpoint functions run only as ACCOUNTADMIN, but repolink uses " + grantee +
			"; grant ACCOUNTADMIN to the user and set the Snowflake role to ACCOUNTADMIN"
	case secretStatement.MatchString(stmt):
		return "grant " + grantee + " CREATE SECRET on the schema and USAGE on its database and schema"
	case integrationStatement.MatchString(stmt):
		return "grant " + grantee + " CREATE INTEGRATION on the account"
	case repositoryStatement.MatchString(stmt):
		return "grant " + grantee + " CREATE ARTIFACT REPOSITORY on the schema, USAGE on its database and schema, " +
			"and USAGE on the API integration"
	case strings.Contains(strings.ToUpper(stmt), DefaultRepositoryParameter):
		// NOTE: Snowflake's reference does not name the privilege that
		// sets this parameter. ACCOUNTADMIN at the account level is an
		// assumption.
		return "grant " + grantee + " the privilege to set " + DefaultRepositoryParameter +
			" at that level, such as ACCOUNTADMIN for the account level"
	case grantStatement.MatchString(stmt):
		return "grant " + grantee + " ownership of the object, or the privilege it grants WITH GRANT OPTION"
	}
	return "grant " + grantee + " the privilege that the statement needs on the object, " +
		"or set the Snowflake role to one that has it"
}

// loginAdvice returns how to fix a rejected login of user with role.
func loginAdvice(code, user, role string) string {
	if code == CodeRoleNotAuthorized && role != "" {
		return "grant role " + role + " to user " + user + ", or set the Snowflake role to one that the user has"
	}
	return "check the account identifier, the user " + user +
		" and the private key or password that repolink logs in with"
}

var (
	// privateLinkFunction matches SYSTEM$PROVISION_PRIVATELINK_ENDPOINT,
	// SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO and the other private endpoint
	// functions.
	privateLinkFunction  = regexp.MustCompile(`(?i)\bSYSTEM\$\w*PRIVATELINK`)
	integrationStatement = regexp.MustCompile(`(?is)^\s*CREATE\s+(OR\s+REPLACE\s+)?API\s+INTEGRATION\b`)
	repositoryStatement  = regexp.MustCompile(`(?is)^\s*CREATE\s+(OR\s+REPLACE\s+)?ARTIFACT\s+REPOSITORY\b`)
	grantStatement       = regexp.MustCompile(`(?is)^\s*GRANT\b`)
)
