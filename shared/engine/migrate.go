package engine

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
)

// storeFormat is the format of the store that this package writes, kept
// in SQLite's user_version. Raise it with every change that an older
// engine would misread. Engines built before the definitions table do not
// check it, but the NULL definition column of newer executions stops them.
// Format 2 stores new history events in event_parts, which format 1
// engines do not read.
const storeFormat = 2

// StoreFormat is the format of the stores that Open writes.
const StoreFormat = storeFormat

// checkStoreFormat rejects a store that a newer engine wrote, before any
// migration or write changes it.
func checkStoreFormat(ctx context.Context, db *sql.DB) error {
	var format int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&format); err != nil {
		return fmt.Errorf("read store format: %w", err)
	}
	if format > storeFormat {
		return fmt.Errorf("store format %d is newer than format %d, the newest that this repolink reads; use a newer repolink",
			format, storeFormat)
	}
	return nil
}

// formatToConvert returns the format of the store and whether migrate
// would convert it to storeFormat. It would not for a store of storeFormat
// or a newer format, which checkStoreFormat rejects, or for a new store
// with no machines and no executions.
func formatToConvert(ctx context.Context, db rowQuerier) (format int, convert bool, err error) {
	var used bool
	err = db.QueryRowContext(ctx, `SELECT (SELECT user_version FROM pragma_user_version),
		EXISTS (SELECT 1 FROM machines) OR EXISTS (SELECT 1 FROM executions)`).Scan(&format, &used)
	if err != nil {
		return 0, false, fmt.Errorf("read store format: %w", err)
	}
	return format, format < storeFormat && (format > 0 || used), nil
}

// rowHistoryFormat is the last store format that keeps every history event
// as a row of the events table. It has the schema of format 2 without the
// event_parts table.
const rowHistoryFormat = 1

// readableSchema reports whether the engine can read the store as it is,
// with no migration. The engine can read a store in the current format
// with every table, column and index that Open creates or migrates. It can
// also read a store in rowHistoryFormat that lacks only event_parts, and
// a store of either format without execution_changes.
// eventParts reports whether the store has the event_parts table. Extend
// it with every migration.
func readableSchema(ctx context.Context, db *sql.DB) (readable, eventParts bool, err error) {
	var format int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&format); err != nil {
		return false, false, fmt.Errorf("read store format: %w", err)
	}
	if format != storeFormat && format != rowHistoryFormat {
		return false, false, nil
	}

	stored := map[string]string{}
	rows, err := db.QueryContext(ctx, `SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type IN ('table', 'index')`)
	if err != nil {
		return false, false, fmt.Errorf("read store schema: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, text string
		if err := rows.Scan(&name, &text); err != nil {
			return false, false, fmt.Errorf("read store schema: %w", err)
		}
		stored[name] = text
	}
	if err := rows.Err(); err != nil {
		return false, false, fmt.Errorf("read store schema: %w", err)
	}
	_, eventParts = stored["event_parts"]
	for _, match := range schemaObject.FindAllStringSubmatch(schema, -1) {
		if match[1] == "event_parts" && format == rowHistoryFormat {
			continue
		}
		// Only Run reads execution_changes, and a read-only engine never
		// runs, so a store from before the table is read as it is.
		if match[1] == "execution_changes" {
			continue
		}
		if _, ok := stored[match[1]]; !ok {
			return false, false, nil
		}
	}
	if !strings.Contains(stored["cursors"], "AUTOINCREMENT") {
		return false, false, nil
	}

	// The columns that addColumn and migrateDefinitionHashes add, and the
	// definition column that migrateDefinitionHashes makes nullable.
	var columns, definitionNotNull int
	err = db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM pragma_table_info('executions') WHERE name IN ('redriven_at', 'definition_hash')) +
		(SELECT COUNT(*) FROM pragma_table_info('machines') WHERE name = 'created_at'),
		(SELECT "notnull" FROM pragma_table_info('executions') WHERE name = 'definition')`).Scan(&columns, &definitionNotNull)
	if err != nil {
		return false, false, fmt.Errorf("read store columns: %w", err)
	}
	return columns == 3 && definitionNotNull == 0, eventParts, nil
}

// schemaObject matches the name of each table and index in schema.
var schemaObject = regexp.MustCompile(`CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)`)

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
	create := createTableStatement("cursors")

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
// add the column once. A store without the column predates event_parts,
// so all of its events are rows of the events table.
func migrateRedriveDates(ctx context.Context, db *sql.DB) error {
	return addColumn(ctx, db, "executions", "redriven_at",
		`ALTER TABLE executions ADD COLUMN redriven_at INTEGER NOT NULL DEFAULT 0`,
		`UPDATE executions SET redriven_at = COALESCE((SELECT MAX(ts) FROM events
			WHERE events.execution = executions.name AND events.type = 'ExecutionRedriven'), 0)
			WHERE redrive_count > 0`)
}

// migrateMachineCreationDates adds the created_at column to a machines
// table made before it existed. A machine gets the start time of its
// earliest execution, the latest time at which it is known to have
// existed, or 0 when it has none, which its next definition replaces.
func migrateMachineCreationDates(ctx context.Context, db *sql.DB) error {
	return addColumn(ctx, db, "machines", "created_at",
		`ALTER TABLE machines ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0`,
		`UPDATE machines SET created_at = COALESCE((SELECT MIN(started_at) FROM executions
			WHERE executions.machine = machines.name), 0)`)
}

// addColumn runs stmts, which add column to table and fill it, in one write
// transaction, unless table already has column. The check runs in that
// transaction, so two processes that open an old store at once add the
// column once.
func addColumn(ctx context.Context, db *sql.DB, table, column string, stmts ...string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s table: %w", table, err)
	}
	defer tx.Rollback()
	var columns int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, table, column).Scan(&columns)
	if err != nil {
		return fmt.Errorf("migrate %s table: %w", table, err)
	}
	if columns > 0 {
		return nil
	}
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrate %s table: %w", table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s table: %w", table, err)
	}
	return nil
}

// migrateDefinitionHashes rebuilds an executions table made before the
// definitions table, so that it has the definition_hash column and a
// definition column that may be NULL. The executions already in it keep
// their definition text and get a NULL hash. An execution whose row has a
// hash and an empty text, as Start wrote them before the column could be
// NULL, gets a NULL text. SQLite cannot drop a NOT NULL constraint in
// place, so the table is copied. Run schema again afterwards to create the
// indexes.
func migrateDefinitionHashes(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate executions table: %w", err)
	}
	defer tx.Rollback()

	var hashColumns, notNull int
	err = tx.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM pragma_table_info('executions') WHERE name = 'definition_hash'),
		(SELECT "notnull" FROM pragma_table_info('executions') WHERE name = 'definition')`).Scan(&hashColumns, &notNull)
	if err != nil {
		return fmt.Errorf("migrate executions table: %w", err)
	}
	if hashColumns > 0 && notNull == 0 {
		return nil
	}

	hash := "NULL"
	if hashColumns > 0 {
		hash = "definition_hash"
	}
	create := createTableStatement("executions")
	const columns = `name, machine, input, status, output, error, cause, started_at, stopped_at,
		redrive_count, event_count, deadline, history_full, redriven_at`
	for _, stmt := range []string{
		`DROP INDEX IF EXISTS executions_deadline`,
		`DROP INDEX IF EXISTS executions_stopped`,
		`ALTER TABLE executions RENAME TO executions_old`,
		create,
		`INSERT INTO executions (` + columns + `, definition, definition_hash)
			SELECT ` + columns + `,
				CASE WHEN definition = '' AND ` + hash + ` IS NOT NULL THEN NULL ELSE definition END, ` + hash + `
			FROM executions_old`,
		`DROP TABLE executions_old`,
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

// createTableStatement returns the CREATE TABLE statement for table from
// schema, up to and including its semicolon.
func createTableStatement(table string) string {
	create := schema[strings.Index(schema, "CREATE TABLE IF NOT EXISTS "+table+" "):]
	return create[:strings.Index(create, ";")+1]
}
