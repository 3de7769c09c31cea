// Package waits stores the registered long waits in SQLite, for the embedded
// engine and the poller on one machine.
package waits

import (
	"github.com/repolink/repolink/shared/jsonrecords"
	"github.com/repolink/repolink/shared/workflow"
)

// Store keeps waits in a SQLite database file. Storing the same token again
// keeps the first wait, List returns the oldest deadline first, and
// deleting a missing wait is not an error.
type Store struct {
	*jsonrecords.Table[workflow.Wait]
}

var _ workflow.WaitRegistry = (*Store)(nil)

// layout keeps the columns of the files that earlier versions of this
// package wrote: token, execution, body and deadline.
var layout = jsonrecords.Layout[workflow.Wait]{
	Table:   "waits",
	Key:     "token",
	Columns: []string{"execution"},
	Order:   "deadline",
	Row: func(w workflow.Wait) jsonrecords.Row {
		return jsonrecords.Row{Key: w.Token, Columns: []string{w.Execution}, Order: w.Deadline}
	},
	Noun:     "wait",
	Describe: func(w workflow.Wait) string { return "execution " + w.Execution },
	// A task token lets its holder complete the task, so errors leave it out.
	SecretKey: true,
}

// Open opens or creates the store at path.
func Open(path string) (*Store, error) {
	table, err := jsonrecords.Open(path, layout)
	if err != nil {
		return nil, err
	}
	return &Store{table}, nil
}
