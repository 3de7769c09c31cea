package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// migrateCursorIDs recreates a cursors table made before cursor IDs were
// AUTOINCREMENT, keeping its rows. Run schema again afterwards to create
// the indexes.
func migrateCursorIDs(ctx context.Context, db *sql.DB) error {
	var table string
	err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'cursors'`).Scan(&table)
	if err != nil {
		return fmt.Errorf("read cursors table: %w", err)
	}
	if strings.Contains(table, "AUTOINCREMENT") {
		return nil
	}
	create := schema[strings.Index(schema, "CREATE TABLE IF NOT EXISTS cursors"):]
	create = create[:strings.Index(create, ";")+1]

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate cursors table: %w", err)
	}
	defer tx.Rollback()
	for _, stmt := range []string{
		`DROP INDEX IF EXISTS cursors_due`,
		`DROP INDEX IF EXISTS cursors_parent`,
		`DROP INDEX IF EXISTS cursors_execution`,
		`ALTER TABLE cursors RENAME TO cursors_old`,
		create,
		`INSERT INTO cursors SELECT * FROM cursors_old`,
		`DROP TABLE cursors_old`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrate cursors table: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate cursors table: %w", err)
	}
	return nil
}

// migrateRedriveDates adds the redriven_at column to an executions table
// made before it existed, and fills it for executions redriven before then
// from the time of their last ExecutionRedriven event. The check runs in
// the write transaction, so two processes that open an old store at once
// add the column once.
func migrateRedriveDates(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate executions table: %w", err)
	}
	defer tx.Rollback()
	var columns int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('executions') WHERE name = 'redriven_at'`).Scan(&columns)
	if err != nil {
		return fmt.Errorf("migrate executions table: %w", err)
	}
	if columns > 0 {
		return nil
	}
	for _, stmt := range []string{
		`ALTER TABLE executions ADD COLUMN redriven_at INTEGER NOT NULL DEFAULT 0`,
		`UPDATE executions SET redriven_at = COALESCE((SELECT MAX(ts) FROM events
			WHERE events.execution = executions.name AND events.type = 'ExecutionRedriven'), 0)
			WHERE redrive_count > 0`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrate executions table: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate executions table: %w", err)
	}
	return nil
}

// migrateDefinitionHashes adds the definition_hash column to an executions
// table made before it existed. The executions already in it keep their
// definition in the definition column and a NULL hash.
func migrateDefinitionHashes(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate executions table: %w", err)
	}
	defer tx.Rollback()
	var columns int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('executions') WHERE name = 'definition_hash'`).Scan(&columns)
	if err != nil {
		return fmt.Errorf("migrate executions table: %w", err)
	}
	if columns > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `ALTER TABLE executions ADD COLUMN definition_hash BLOB`); err != nil {
		return fmt.Errorf("migrate executions table: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate executions table: %w", err)
	}
	return nil
}
