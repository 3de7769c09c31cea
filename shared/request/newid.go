package request

import (
	"strings"

	"github.com/repolink/repolink/shared/snowflake"
)

// NewIDChanges returns the fields, as JSON paths, that later must change
// besides its ID so that it starts while the resources of a run of earlier
// exist. That run keeps its Snowflake objects, which repository.name
// names, the host of its private endpoint and its default level until a
// teardown. The start checks and the preflight step reject a request with
// another ID that takes one of them. It returns nil when a new ID is
// enough.
func NewIDChanges(earlier, later Request) []string {
	earlierClaims := map[string]bool{}
	for _, c := range Claims(earlier) {
		earlierClaims[c.Key()] = true
	}
	var fields []string
	for _, c := range Claims(later) {
		if !earlierClaims[c.Key()] {
			continue
		}
		path := "$.repository.name"
		if c.Kind == ClaimHost {
			path = "$.repository.index_url"
		}
		if len(fields) == 0 || fields[len(fields)-1] != path {
			fields = append(fields, path)
		}
	}
	if SameDefaultLevel(earlier, later) {
		fields = append(fields, "$.repository.default_for")
	}
	return fields
}

// SameDefaultLevel reports whether a and b set
// DEFAULT_PYTHON_ARTIFACT_REPOSITORY on the same object of the same
// Snowflake account, which only one request may set at a time. Accounts
// are compared by AccountKey.
func SameDefaultLevel(a, b Request) bool {
	target := DefaultTarget(a)
	return target != "" && SameAccount(a.Snowflake.Account, b.Snowflake.Account) && target == DefaultTarget(b)
}

// DefaultTarget returns the object on which r's repository.default_for
// sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY, as ALTER takes it: ACCOUNT,
// DATABASE db or SCHEMA db.schema. It returns "" for none.
func DefaultTarget(r Request) string {
	switch r.Repository.DefaultFor {
	case "account":
		return "ACCOUNT"
	case "database":
		return "DATABASE " + snowflake.Ident(r.Snowflake.Database)
	case "schema":
		return "SCHEMA " + snowflake.Qualified(r.Snowflake.Database, r.Snowflake.Schema)
	}
	return ""
}

// NewIDAdvice returns the clause that follows the advice to give a request
// a new ID, or to open a new ticket for it, and names the fields that
// NewIDChanges returned, or "" when there are none.
func NewIDAdvice(fields []string) string {
	var parts []string
	for _, field := range fields {
		switch field {
		case "$.repository.name":
			parts = append(parts, "another "+field)
		case "$.repository.index_url":
			parts = append(parts, "another host in "+field)
		case "$.repository.default_for":
			parts = append(parts, "another level or none in "+field)
		default:
			parts = append(parts, "another "+field)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	list := parts[0]
	if len(parts) > 1 {
		list = strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return " together with " + list + ", because the earlier run holds these until a teardown"
}
