// Package defaultlevels stores, in SQLite, the levels on which runs set
// DEFAULT_PYTHON_ARTIFACT_REPOSITORY, for repolink run, up and plan.
package defaultlevels

import (
	"time"

	"github.com/repolink/repolink/shared/jsonrecords"
	"github.com/repolink/repolink/shared/workflow"
)

// Store is a SQLite database file of default repository levels. Put
// replaces the record with the same key, and deleting a missing record is
// not an error.
type Store struct {
	*jsonrecords.Table[workflow.DefaultSetting]
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
	return &Store{table}, nil
}
