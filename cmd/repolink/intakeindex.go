package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"unicode"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sqlitefile"
	"github.com/repolink/repolink/shared/storehealth"
)

// intakeIndexFile is the SQLite file beside the engine store that indexes
// the store's provision and teardown executions for the start checks. With
// it a start reads only the executions of the requests that it can
// conflict with, not every execution in the store.
const intakeIndexFile = "intake.db"

// intakeIndexSchema holds facts that never change once an execution
// exists, because an execution's machine and input never change. Statuses,
// start times and histories are read from the engine store when a check
// needs them.
//
//   - request_runs lists the executions of each request ID, by machine.
//   - claims lists, for each claim key (claimKeys), the request IDs whose
//     provision executions named it.
//   - scanned is the Seq (engine.AddedExecution) and name of the last
//     execution that the index contains. The executions up to it are in
//     the index, and those after it are added at the next check.
//   - scanned_start is the start time of that execution, in Unix
//     nanoseconds. A store that replaced another one can give its own
//     execution the same Seq and name, such as a rerun of the same
//     request ID, so the name alone does not show that the index belongs
//     to the store. It is a table of its own so that index files from
//     before it keep their scanned table, and a scanned row without a
//     scanned_start row is rebuilt once.
//   - key_format is the intakeKeyFormat of the claim keys in claims. An
//     index file without its row holds keys of format 1.
const intakeIndexSchema = `
CREATE TABLE IF NOT EXISTS request_runs (
	request_id TEXT NOT NULL,
	machine    TEXT NOT NULL,
	execution  TEXT NOT NULL,
	PRIMARY KEY (request_id, machine, execution)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS claims (
	claim      TEXT NOT NULL,
	request_id TEXT NOT NULL,
	PRIMARY KEY (claim, request_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scanned (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	seq       INTEGER NOT NULL,
	execution TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scanned_start (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	started_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS key_format (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
);
`

// intakeKeyFormat is the version of the claim keys that claimKeys builds.
// An index whose claims have another version is emptied and built again,
// because a stored key that claimKeys now renders differently no longer
// matches, so a check could miss the request that stored it. Raise it with
// every change to the keys. Format 2 renders a database or schema name in
// double quotes, such as "Data", as the quoted identifier it is
// (snowflake.Ident), where format 1 quoted it again as """Data""".
// Format 3 adds a key for the level that repository.default_for names
// (request.DefaultTarget). Format 4 keys the account by
// request.AccountKey, not by its case-folded text, and adds a host key for
// each host of repository.extra_allowed_prefixes (request.PrivateLinkHosts).
// Format 5 adds a key for each index credential reference and index host
// (credentialKeys).
const intakeKeyFormat = 5

// intakeIndexPage is how many executions catchUp reads from the engine
// store and adds to the index in one transaction.
const intakeIndexPage = 1000

// maxIdleIntakeIndexes is how many index files that no check uses this
// process keeps open, such as for the many state directories of a test
// process. A service uses one.
const maxIdleIntakeIndexes = 4

// intakeIndex is an open index file.
type intakeIndex struct {
	db   *sql.DB
	path string
	// catchUpMu makes the goroutines of this process catch up one at a
	// time, so that a burst of starts reads the new executions once.
	catchUpMu sync.Mutex
	// users counts the checks that use the index, guarded by
	// intakeIndexes.mu.
	users int
}

// scanMark is the row of the scanned table, with the start time from
// scanned_start and the version from key_format, each 0 when its row is
// missing.
type scanMark struct {
	seq       int64
	execution string
	startedAt int64
	keyFormat int64
}

// intakeIndexes contains the open index files by path.
var intakeIndexes struct {
	mu   sync.Mutex
	open map[string]*intakeIndex
}

// acquireIntakeIndex returns the index of the engine store of eng, opened
// once per process, and the function that releases it.
func acquireIntakeIndex(eng *engine.Engine) (*intakeIndex, func(), error) {
	path := filepath.Join(filepath.Dir(eng.Path()), intakeIndexFile)
	intakeIndexes.mu.Lock()
	defer intakeIndexes.mu.Unlock()
	ix := intakeIndexes.open[path]
	if ix == nil {
		db, err := sqlitefile.Open(path, intakeIndexSchema, true)
		if err != nil {
			return nil, nil, storehealth.Classify(filepath.Dir(path), fmt.Errorf("open intake index %s: %w", path, err))
		}
		ix = &intakeIndex{db: db, path: path}
		if intakeIndexes.open == nil {
			intakeIndexes.open = map[string]*intakeIndex{}
		}
		closeIdleIntakeIndexes()
		intakeIndexes.open[path] = ix
	}
	ix.users++
	release := func() {
		intakeIndexes.mu.Lock()
		ix.users--
		intakeIndexes.mu.Unlock()
	}
	return ix, release, nil
}

// closeIdleIntakeIndexes closes the open indexes that no check uses once
// more than maxIdleIntakeIndexes are open. The caller holds
// intakeIndexes.mu.
func closeIdleIntakeIndexes() {
	if len(intakeIndexes.open) < maxIdleIntakeIndexes {
		return
	}
	for path, ix := range intakeIndexes.open {
		if ix.users == 0 {
			ix.db.Close()
			delete(intakeIndexes.open, path)
		}
	}
}

// catchUp adds to the index the executions that eng's store added since
// the last one that the index contains. Every write only adds rows that
// follow from an execution's name, machine and input, and moves the
// scanned mark forward. So two processes that catch up at the same time
// write the same rows, and the index is complete up to the mark that
// either wrote. An index without the scanned row, such as the one that a
// store from before the index first gets, is built from all executions
// in this way.
//
// An index whose mark names an execution that the store does not have at
// that Seq with that start time belongs to another store, such as one that
// a sandbox reset replaced, and is emptied and built again. So is an index
// whose claim keys are not of intakeKeyFormat.
func (ix *intakeIndex) catchUp(ctx context.Context, eng *engine.Engine) error {
	ix.catchUpMu.Lock()
	defer ix.catchUpMu.Unlock()
	mark, err := ix.mark(ctx)
	if err != nil {
		return err
	}
	if mark.seq > 0 {
		valid := mark.keyFormat == intakeKeyFormat
		if valid {
			if valid, err = markMatches(ctx, eng, mark); err != nil {
				return err
			}
		}
		if !valid {
			if err := ix.reset(ctx, mark); err != nil {
				return err
			}
			if mark, err = ix.mark(ctx); err != nil {
				return err
			}
		}
	}
	for {
		added, err := eng.ListAddedAfter(ctx, mark.seq, intakeIndexPage)
		if err != nil {
			return err
		}
		if len(added) == 0 {
			break
		}
		last := added[len(added)-1]
		x, err := eng.Describe(ctx, last.Name)
		if err != nil {
			return err
		}
		mark = scanMark{seq: last.Seq, execution: last.Name, startedAt: x.StartedAt.UnixNano(), keyFormat: intakeKeyFormat}
		if err := ix.add(ctx, added, mark); err != nil {
			return err
		}
		if len(added) < intakeIndexPage {
			break
		}
	}
	return nil
}

// selectMark reads the scanned row, its start time and the key format.
const selectMark = `SELECT seq, execution, COALESCE((SELECT started_at FROM scanned_start WHERE id = 1), 0),
	COALESCE((SELECT version FROM key_format WHERE id = 1), 0)
	FROM scanned WHERE id = 1`

// mark returns the scanned row, or a zero scanMark for an index without
// one.
func (ix *intakeIndex) mark(ctx context.Context) (scanMark, error) {
	var m scanMark
	err := ix.db.QueryRowContext(ctx, selectMark).Scan(&m.seq, &m.execution, &m.startedAt, &m.keyFormat)
	if errors.Is(err, sql.ErrNoRows) {
		return scanMark{}, nil
	}
	if err != nil {
		return scanMark{}, fmt.Errorf("read intake index %s: %w", ix.path, err)
	}
	return m, nil
}

// markMatches reports whether eng's store has the execution of mark at
// mark's Seq, started at mark's start time.
func markMatches(ctx context.Context, eng *engine.Engine, mark scanMark) (bool, error) {
	added, err := eng.ListAddedAfter(ctx, mark.seq-1, 1)
	if err != nil {
		return false, err
	}
	if len(added) != 1 || added[0].Seq != mark.seq || added[0].Name != mark.execution {
		return false, nil
	}
	x, err := eng.Describe(ctx, mark.execution)
	if err != nil {
		return false, err
	}
	return x.StartedAt.UnixNano() == mark.startedAt, nil
}

// reset empties the index when its scanned row and key format are still
// those of stale, and leaves it as it is when another process has reset it
// since.
func (ix *intakeIndex) reset(ctx context.Context, stale scanMark) error {
	tx, err := ix.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("reset intake index %s: %w", ix.path, err)
	}
	defer tx.Rollback()
	var current scanMark
	err = tx.QueryRowContext(ctx, selectMark).Scan(&current.seq, &current.execution, &current.startedAt, &current.keyFormat)
	if errors.Is(err, sql.ErrNoRows) || err == nil && current != stale {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reset intake index %s: %w", ix.path, err)
	}
	for _, table := range []string{"request_runs", "claims", "scanned", "scanned_start", "key_format"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("reset intake index %s: %w", ix.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("reset intake index %s: %w", ix.path, err)
	}
	return nil
}

// add writes the rows of the executions added, which are in order of Seq,
// and moves the scanned mark to last, the mark of the last of them, unless
// another process has moved it further. It records intakeKeyFormat as the
// format of the claim keys, which catchUp makes true by emptying an index
// of another format first.
func (ix *intakeIndex) add(ctx context.Context, added []engine.AddedExecution, last scanMark) error {
	tx, err := ix.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update intake index %s: %w", ix.path, err)
	}
	defer tx.Rollback()
	for _, a := range added {
		if a.Machine != provisionMachine && a.Machine != teardownMachine {
			continue
		}
		x := engine.Execution{Name: a.Name, Machine: a.Machine, Input: a.Input}
		id := runRequestID(x)
		if _, err := tx.ExecContext(ctx, `INSERT INTO request_runs (request_id, machine, execution) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, id, a.Machine, a.Name); err != nil {
			return fmt.Errorf("update intake index %s: %w", ix.path, err)
		}
		req, ok := provisionRequest(x)
		if !ok || req.ID == "" {
			continue
		}
		for _, claim := range append(claimKeys(req), credentialKeys(req)...) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO claims (claim, request_id) VALUES (?, ?)
				ON CONFLICT DO NOTHING`, claim, req.ID); err != nil {
				return fmt.Errorf("update intake index %s: %w", ix.path, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO key_format (id, version) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version`, intakeKeyFormat); err != nil {
		return fmt.Errorf("update intake index %s: %w", ix.path, err)
	}
	moved, err := tx.ExecContext(ctx, `INSERT INTO scanned (id, seq, execution) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, execution = excluded.execution
		WHERE excluded.seq > scanned.seq`, last.seq, last.execution)
	if err != nil {
		return fmt.Errorf("update intake index %s: %w", ix.path, err)
	}
	if n, err := moved.RowsAffected(); err != nil || n > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO scanned_start (id, started_at) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at`, last.startedAt); err != nil {
			return fmt.Errorf("update intake index %s: %w", ix.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update intake index %s: %w", ix.path, err)
	}
	return nil
}

// runs returns the names of the executions of machine for the request with
// ID id.
func (ix *intakeIndex) runs(ctx context.Context, machine, id string) ([]string, error) {
	return ix.strings(ctx, `SELECT execution FROM request_runs WHERE request_id = ? AND machine = ?`, id, machine)
}

// claimants returns the IDs of the requests with a provision execution
// that named one of the claim keys.
func (ix *intakeIndex) claimants(ctx context.Context, claims []string) ([]string, error) {
	if len(claims) == 0 {
		return nil, nil
	}
	args := make([]any, len(claims))
	for i, c := range claims {
		args[i] = c
	}
	marks := strings.Repeat(", ?", len(claims))[2:]
	return ix.strings(ctx, `SELECT DISTINCT request_id FROM claims WHERE claim IN (`+marks+`)`, args...)
}

// credentialClaimants returns the IDs of the requests whose provision
// executions stored a credentialKeys key of one of req's credential lookup
// keys with another index host than req's.
func (ix *intakeIndex) credentialClaimants(ctx context.Context, req request.Request) ([]string, error) {
	own := credentialKeys(req)
	var ids []string
	for i, prefix := range credentialPrefixes(req) {
		// Every key continues the prefix with the JSON string of its host,
		// which starts with '"', and '#' is the next character.
		found, err := ix.strings(ctx, `SELECT DISTINCT request_id FROM claims WHERE claim >= ? AND claim < ? AND claim != ?`,
			prefix+`"`, prefix+`#`, own[i])
		if err != nil {
			return nil, err
		}
		ids = append(ids, found...)
	}
	return ids, nil
}

// strings returns the single text column of the rows of query.
func (ix *intakeIndex) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := ix.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read intake index %s: %w", ix.path, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("read intake index %s: %w", ix.path, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read intake index %s: %w", ix.path, err)
	}
	return out, nil
}

// runRequestID returns the request ID of the execution x as runOf reads
// it, so that runOf(x, x.Machine, runRequestID(x)) holds.
func runRequestID(x engine.Execution) string {
	if req, ok := executionRequest(x); ok {
		return req.ID
	}
	var doc struct {
		Request struct {
			ID string `json:"id"`
		} `json:"request"`
	}
	if json.Unmarshal(x.Input, &doc) != nil {
		return ""
	}
	return doc.Request.ID
}

// claimKeys returns the keys under which the index lists a provision
// execution of req: one per claim of req (request.Claims) and one for its
// default level (request.DefaultTarget), each with the Snowflake account. Two requests share a key exactly when sharedObjects or
// sameEndpointHost finds the clash that the key stands for, because
// accounts are keyed by request.AccountKey as request.SameAccount
// compares them, hosts are case-folded as strings.EqualFold compares
// them, and object names are kept as rendered.
func claimKeys(req request.Request) []string {
	account := request.AccountKey(req.Snowflake.Account)
	var keys []string
	for _, c := range request.Claims(req) {
		if c.Kind != request.ClaimHost {
			keys = append(keys, claimKey(c.Noun, account, c.Name))
		}
	}
	keys = append(keys, hostKeys(req, account)...)
	if target := request.DefaultTarget(req); target != "" {
		keys = append(keys, claimKey("default", account, target))
	}
	return keys
}

// claimKey encodes its parts as a JSON array, which no two different
// lists of parts share.
func claimKey(parts ...string) string {
	data, _ := json.Marshal(parts)
	return string(data)
}

// foldCase replaces each rune of s with the smallest rune of its Unicode
// simple case-folding orbit, so that foldCase(a) == foldCase(b) exactly
// when strings.EqualFold(a, b).
func foldCase(s string) string {
	return strings.Map(func(r rune) rune {
		smallest := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			smallest = min(smallest, f)
		}
		return smallest
	}, s)
}

// intakeLockKeys returns the claim keys whose start locks a start of req
// holds besides its ID's, so that two requests with different IDs that
// would clash in objectClash, checkHostClash, checkCredentialClash or
// checkDefaultClash take a common lock. Every
// clash of Snowflake objects implies one key: the account and the
// repository name in upper case, because an equal rendered secret,
// integration or repository name means repository names equal as
// Snowflake compares them, which differ at most in case. A clash of hosts
// implies the account and host key of claimKeys, and a clash of default
// levels (checkDefaultClash) its account and default key. A clash of
// index credentials implies a common "credential" key of a lookup key
// without the host, which every start that uses the credential locks.
func intakeLockKeys(req request.Request) []string {
	account := request.AccountKey(req.Snowflake.Account)
	var keys []string
	if req.Repository.Name != "" {
		keys = append(keys, claimKey("objects", account, strings.ToUpper(req.Repository.Name)))
	}
	keys = append(keys, hostKeys(req, account)...)
	if target := request.DefaultTarget(req); target != "" {
		keys = append(keys, claimKey("default", account, target))
	}
	for _, key := range request.IndexCredentialKeys(req) {
		keys = append(keys, claimKey("credential", key))
	}
	return keys
}

// credentialKeys returns a "credential" key for each lookup key of req's
// index credential references (request.IndexCredentialKeys) and its index
// host, in no Snowflake account, because a credential clash
// (sharesCredential) is one across accounts. The index stores them beside
// claimKeys. A check looks them up with credentialClaimants, which skips
// req's own index host, so that the many requests that send one
// credential to one host are no candidates of each other.
func credentialKeys(req request.Request) []string {
	var keys []string
	host := request.IndexHost(req)
	for _, key := range request.IndexCredentialKeys(req) {
		keys = append(keys, claimKey("credential", key, host))
	}
	return keys
}

// credentialPrefixes returns, for each key of credentialKeys(req) in
// order, the text with which the keys of the same lookup key start,
// whatever their host.
func credentialPrefixes(req request.Request) []string {
	var prefixes []string
	for _, key := range request.IndexCredentialKeys(req) {
		whole := claimKey("credential", key)
		prefixes = append(prefixes, strings.TrimSuffix(whole, "]")+",")
	}
	return prefixes
}

// hostKeys returns a "host" key for each host that req reaches through a
// private endpoint (request.PrivateLinkHosts): its index host and the
// hosts of its extra prefixes, once each. A host clash
// (sameEndpointHost) needs one host that both requests reach, so they
// share its key.
func hostKeys(req request.Request, account string) []string {
	var keys []string
	seen := map[string]bool{}
	for _, use := range request.PrivateLinkHosts(req) {
		key := claimKey("host", account, foldCase(use.Host))
		if !seen[key] {
			seen[key] = true
			keys = append(keys, key)
		}
	}
	return keys
}
