// Package expiries stores, in SQLite, when the index credential in each
// run's SECRET expires, for the poller of repolink up. The records hold
// requests and times, never a credential.
package expiries

import (
	"github.com/repolink/repolink/shared/jsonrecords"
	"github.com/repolink/repolink/shared/workflow"
)

// Store keeps credential expiry records in a SQLite database file. Put
// replaces the record with the same key, List returns the earliest expiry
// first, and deleting a missing record is not an error.
type Store struct {
	*jsonrecords.Table[workflow.CredentialExpiry]
}

var _ workflow.CredentialRegistry = (*Store)(nil)

// layout keeps the columns of the files that earlier versions of this
// package wrote: key, body and expires_at.
var layout = jsonrecords.Layout[workflow.CredentialExpiry]{
	Table: "credential_expiries",
	Key:   "key",
	Order: "expires_at",
	Row: func(c workflow.CredentialExpiry) jsonrecords.Row {
		return jsonrecords.Row{Key: c.Key(), Order: c.ExpiresAt}
	},
	Replace:  true,
	Noun:     "credential expiry",
	Describe: func(c workflow.CredentialExpiry) string { return "secret " + c.Secret },
}

// Open opens or creates the store at path.
func Open(path string) (*Store, error) {
	table, err := jsonrecords.Open(path, layout)
	if err != nil {
		return nil, err
	}
	return &Store{table}, nil
}
