package defaultlevels

import (
	"context"
	"errors"
	"time"

	"github.com/repolink/repolink/shared/jsonrecords"
	"github.com/repolink/repolink/shared/workflow"
)

// claimLayout is the table of default level claims, in the same file as
// the records. Its key has no request ID, so the primary key makes two
// requests compete for the same row.
var claimLayout = jsonrecords.Layout[workflow.LevelClaim]{
	Table: "default_level_claims",
	Key:   "key",
	Order: "claimed_at",
	Row: func(c workflow.LevelClaim) jsonrecords.Row {
		return jsonrecords.Row{Key: c.Key(), Order: time.Now()}
	},
	Noun: "default level claim",
	Describe: func(c workflow.LevelClaim) string {
		return "request " + c.Request + " on " + c.Target
	},
}

// errUnchanged stops jsonrecords.Update without a write when change
// leaves the claim as it is.
var errUnchanged = errors.New("claim unchanged")

// UpdateClaim changes the claim of key in one conditional write. The
// UPDATE or DELETE names the row's body as it was read, and an INSERT
// fails on a row that another writer inserted first. A concurrent writer
// therefore makes it read again.
func (s *Store) UpdateClaim(ctx context.Context, key string, change workflow.ChangeClaim) error {
	err := s.claims.Update(ctx, key, func(stored *workflow.LevelClaim) (*workflow.LevelClaim, error) {
		next, write, err := change(stored)
		if err != nil {
			return nil, err
		}
		if !write {
			return nil, errUnchanged
		}
		return next, nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}
