package waits_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sqlitefile"
	"github.com/repolink/repolink/shared/waits"
	"github.com/repolink/repolink/shared/workflow"
)

// oldSchema is the only table of the files that versions before the
// stored poll outcomes wrote.
const oldSchema = `CREATE TABLE IF NOT EXISTS waits (
	token TEXT PRIMARY KEY,
	execution TEXT NOT NULL,
	body TEXT NOT NULL,
	deadline INTEGER NOT NULL
)`

var created = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// writeOldStore writes a store as earlier versions did, with the wait w.
func writeOldStore(t *testing.T, path string, w workflow.Wait) {
	t.Helper()
	db, err := sqlitefile.Open(path, oldSchema, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	body, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO waits (token, execution, body, deadline) VALUES (?, ?, ?, ?)`,
		w.Token, w.Execution, string(body), w.Deadline.Unix()); err != nil {
		t.Fatal(err)
	}
}

func readWaiting(t *testing.T, path, execution string) *waits.Waiting {
	t.Helper()
	waiting, err := waits.ReadWaiting(t.Context(), path, execution)
	if err != nil {
		t.Fatalf("ReadWaiting(%s): %v", execution, err)
	}
	return waiting
}

// TestOldStoreGetsPollTable opens a store that an earlier version wrote,
// which has no table of poll outcomes. It checks that the wait can be read
// before and after Open, that a recorded poll is read back, and that
// deleting the wait removes the poll.
func TestOldStoreGetsPollTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "waits.db")
	wait := workflow.Wait{Token: "tok-secret", Execution: "DATA-1", ServiceID: "svc",
		Snowflake: request.Snowflake{Account: "acct", User: "SVC"}, Deadline: created.Add(24 * time.Hour), CreatedAt: created}
	writeOldStore(t, path, wait)

	want := &waits.Waiting{Since: created, Deadline: wait.Deadline}
	if diff := cmp.Diff(want, readWaiting(t, path, "DATA-1")); diff != "" {
		t.Errorf("wait of the old store (-want +got):\n%s", diff)
	}

	store, err := waits.Open(path)
	if err != nil {
		t.Fatalf("Open old store: %v", err)
	}
	defer store.Close()
	listed, err := store.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(listed) != 1 || listed[0].Token != wait.Token {
		t.Errorf("List = %+v, want the old wait", listed)
	}

	poll := workflow.WaitPoll{Token: wait.Token, Execution: "DATA-1", At: created.Add(time.Minute),
		Error: "read endpoints: login failed", FailedPolls: 3, FailingSince: created.Add(20 * time.Second)}
	if err := store.RecordPoll(t.Context(), poll); err != nil {
		t.Fatalf("RecordPoll: %v", err)
	}
	later := poll
	later.At, later.FailedPolls = created.Add(2*time.Minute), 9
	if err := store.RecordPoll(t.Context(), later); err != nil {
		t.Fatalf("RecordPoll again: %v", err)
	}

	got := readWaiting(t, path, "DATA-1")
	stored := later
	stored.Token = ""
	want.LastPoll = &stored
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wait with its latest poll (-want +got):\n%s", diff)
	}
	encoded, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(encoded), wait.Token) {
		t.Errorf("status JSON of the wait contains the task token: %s", encoded)
	}

	if err := store.Delete(t.Context(), wait.Token); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := readWaiting(t, path, "DATA-1"); got != nil {
		t.Errorf("wait after Delete = %+v, want none", got)
	}
	if err := store.Put(t.Context(), wait); err != nil {
		t.Fatalf("Put again: %v", err)
	}
	if got := readWaiting(t, path, "DATA-1"); got == nil || got.LastPoll != nil {
		t.Errorf("wait put again after Delete = %+v, want it without the deleted poll", got)
	}
}

func TestReadWaitingWithoutStore(t *testing.T) {
	if got := readWaiting(t, filepath.Join(t.TempDir(), "waits.db"), "DATA-1"); got != nil {
		t.Errorf("ReadWaiting without a file = %+v, want nil", got)
	}
}

func TestReadWaitingOtherExecution(t *testing.T) {
	path := filepath.Join(t.TempDir(), "waits.db")
	writeOldStore(t, path, workflow.Wait{Token: "tok", Execution: "DATA-1", Deadline: created, CreatedAt: created})
	if got := readWaiting(t, path, "DATA-2"); got != nil {
		t.Errorf("ReadWaiting of an execution without a wait = %+v, want nil", got)
	}
}
