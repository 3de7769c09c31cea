package main

import (
	"encoding/json"
	"slices"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
)

// canonicalRequest returns req with each Snowflake name in the form that
// Snowflake resolves it to, for comparing requests and never for running
// one. Each object and role name goes through snowflake.Ident, which
// upper-cases a plain name and reads a quoted one as the text inside, so
// role accountadmin, ACCOUNTADMIN and "ACCOUNTADMIN" compare equal. The
// account identifier becomes its request.AccountKey, so two spellings of
// one account compare equal.
func canonicalRequest(req request.Request) request.Request {
	sf := &req.Snowflake
	sf.Account = request.AccountKey(sf.Account)
	for _, name := range []*string{&sf.Role, &sf.Warehouse, &sf.Database, &sf.Schema, &req.Repository.Name} {
		if *name != "" {
			*name = snowflake.Ident(*name)
		}
	}
	roles := slices.Clone(req.Repository.GrantToRoles)
	for i, role := range roles {
		roles[i] = snowflake.Ident(role)
	}
	req.Repository.GrantToRoles = roles
	return req
}

// sameRequest reports whether a and b run the same request once their
// names are in canonical form (canonicalRequest).
func sameRequest(a, b request.Request) bool {
	x, errA := json.Marshal(canonicalRequest(a))
	y, errB := json.Marshal(canonicalRequest(b))
	return errA == nil && errB == nil && sameJSON(x, y)
}

// sameRequestInput reports whether two execution inputs, each a
// workflow.Document, have the same resources and run the same request
// (sameRequest). An input that is not such a document is only equal to
// the same JSON.
func sameRequestInput(a, b []byte) bool {
	x, okA := canonicalInput(a)
	y, okB := canonicalInput(b)
	if !okA || !okB {
		return sameJSON(a, b)
	}
	return sameJSON(x, y)
}

// canonicalInput returns the execution input with its request in canonical
// form and its defaults filled in, and false when input has no request that
// decodes. A request as written in a file, without the optional fields,
// then equals the request that repolink ran from it.
func canonicalInput(input []byte) ([]byte, bool) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(input, &doc) != nil || doc["request"] == nil {
		return nil, false
	}
	var req request.Request
	if json.Unmarshal(doc["request"], &req) != nil {
		return nil, false
	}
	req.ApplyDefaults()
	raw, err := json.Marshal(canonicalRequest(req))
	if err != nil {
		return nil, false
	}
	doc["request"] = raw
	out, err := json.Marshal(doc)
	return out, err == nil
}
