// Package waits stores the registered long waits in SQLite, for the embedded
// engine and the poller on one machine.
package waits

import (
	"context"
	"errors"

	"github.com/repolink/repolink/shared/jsonrecords"
	"github.com/repolink/repolink/shared/workflow"
)

// Store keeps waits in a SQLite database file. Storing the same token again
// keeps the first wait, List returns the oldest deadline first, and
// deleting a missing wait is not an error. It also keeps the latest poll
// outcome of each wait in a second table of the same file.
type Store struct {
	*jsonrecords.Table[workflow.Wait]
	polls *jsonrecords.Table[workflow.WaitPoll]
}

var (
	_ workflow.WaitRegistry     = (*Store)(nil)
	_ workflow.WaitPollRecorder = (*Store)(nil)
)

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

// pollTable is the table of the latest poll outcome of each wait, keyed by
// the wait's token. Earlier versions wrote no such table, and Open creates
// it in their files.
const pollTable = "wait_polls"

var pollLayout = jsonrecords.Layout[workflow.WaitPoll]{
	Table:   pollTable,
	Key:     "token",
	Columns: []string{"execution"},
	Order:   "polled_at",
	Row: func(p workflow.WaitPoll) jsonrecords.Row {
		return jsonrecords.Row{Key: p.Token, Columns: []string{p.Execution}, Order: p.At}
	},
	Replace:   true,
	Noun:      "wait poll",
	Describe:  func(p workflow.WaitPoll) string { return "execution " + p.Execution },
	SecretKey: true,
}

// Open opens or creates the store at path.
func Open(path string) (*Store, error) {
	table, err := jsonrecords.Open(path, layout)
	if err != nil {
		return nil, err
	}
	polls, err := jsonrecords.Open(path, pollLayout)
	if err != nil {
		table.Close()
		return nil, err
	}
	return &Store{Table: table, polls: polls}, nil
}

// RecordPoll stores p as the latest poll outcome of the wait with token
// p.Token, in place of the one stored before.
func (s *Store) RecordPoll(ctx context.Context, p workflow.WaitPoll) error {
	return s.polls.Put(ctx, p)
}

// Delete removes the wait with token and its poll outcome.
func (s *Store) Delete(ctx context.Context, token string) error {
	if err := s.Table.Delete(ctx, token); err != nil {
		return err
	}
	return s.polls.Delete(ctx, token)
}

// Close closes both tables.
func (s *Store) Close() error {
	return errors.Join(s.Table.Close(), s.polls.Close())
}
