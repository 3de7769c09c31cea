// Package defaultlevels stores, in SQLite, the levels on which runs set
// DEFAULT_PYTHON_ARTIFACT_REPOSITORY, for repolink run, up and plan.
package defaultlevels

import (
	"errors"
	"time"

	"github.com/repolink/repolink/shared/jsonrecords"
	"github.com/repolink/repolink/shared/workflow"
)

// Store is a SQLite database file of default repository levels and the
// claims on them. Put replaces the record with the same key, and deleting
// a missing record is not an error.
type Store struct {
	*jsonrecords.Table[workflow.DefaultSetting]
	claims *jsonrecords.Table[workflow.LevelClaim]
}

var _ workflow.DefaultRegistry = (*Store)(nil)

var layout = jsonrecords.Layout[workflow.DefaultSetting]{
	Table: "default_repository_levels",
	Key:   "key",
	Order: "recorded_at",
	Row: func(d workflow.DefaultSetting) jsonrecords.Row {
		return jsonrecords.Row{Key: d.Key(), Order: time.Now()}
	},
	Replace: true,
	Noun:    "default repository level",
	Describe: func(d workflow.DefaultSetting) string {
		return "request " + d.Request + " on " + d.Target
	},
}

// Open opens or creates the store at path.
func Open(path string) (*Store, error) {
	table, err := jsonrecords.Open(path, layout)
	if err != nil {
		return nil, err
	}
	claims, err := jsonrecords.Open(path, claimLayout)
	if err != nil {
		table.Close()
		return nil, err
	}
	return &Store{Table: table, claims: claims}, nil
}

// Close closes both tables' handles on the file.
func (s *Store) Close() error {
	return errors.Join(s.Table.Close(), s.claims.Close())
}
