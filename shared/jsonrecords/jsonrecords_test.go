package jsonrecords

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type note struct {
	ID     string    `json:"id"`
	Owner  string    `json:"owner"`
	Text   string    `json:"text"`
	Expiry time.Time `json:"expiry"`
}

func noteLayout(replace bool) Layout[note] {
	return Layout[note]{
		Table:   "notes",
		Key:     "id",
		Columns: []string{"owner"},
		Order:   "expiry",
		Row: func(n note) Row {
			return Row{Key: n.ID, Columns: []string{n.Owner}, Order: n.Expiry}
		},
		Replace:  replace,
		Noun:     "note",
		Describe: func(n note) string { return "owner " + n.Owner },
	}
}

func openNotes(t *testing.T, layout Layout[note]) *Table[note] {
	t.Helper()
	table, err := Open(filepath.Join(t.TempDir(), "notes.db"), layout)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { table.Close() })
	return table
}

func TestPutConflict(t *testing.T) {
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	first := note{ID: "a", Owner: "ann", Text: "first", Expiry: at}
	second := note{ID: "a", Owner: "bob", Text: "second", Expiry: at.Add(time.Hour)}
	for _, tt := range []struct {
		name    string
		replace bool
		want    note
	}{
		{"keep first", false, first},
		{"replace", true, second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			table := openNotes(t, noteLayout(tt.replace))
			for _, n := range []note{first, second} {
				if err := table.Put(t.Context(), n); err != nil {
					t.Fatalf("Put: %v", err)
				}
			}
			got, err := table.List(t.Context())
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if diff := cmp.Diff([]note{tt.want}, got); diff != "" {
				t.Errorf("List (-want +got):\n%s", diff)
			}
			var owner string
			if err := table.db.QueryRow(`SELECT owner FROM notes WHERE id = 'a'`).Scan(&owner); err != nil {
				t.Fatal(err)
			}
			if owner != tt.want.Owner {
				t.Errorf("owner column = %q, want %q", owner, tt.want.Owner)
			}
		})
	}
}

func TestListOrderAndDelete(t *testing.T) {
	table := openNotes(t, noteLayout(false))
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	notes := []note{
		{ID: "late", Owner: "x", Expiry: at.Add(time.Hour)},
		{ID: "b", Owner: "x", Expiry: at},
		{ID: "a", Owner: "x", Expiry: at},
	}
	for _, n := range notes {
		if err := table.Put(t.Context(), n); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	got, err := table.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]note{notes[2], notes[1], notes[0]}, got); diff != "" {
		t.Errorf("List by expiry, then key (-want +got):\n%s", diff)
	}

	for _, key := range []string{"b", "missing"} {
		if err := table.Delete(t.Context(), key); err != nil {
			t.Errorf("Delete(%q): %v", key, err)
		}
	}
	got, err = table.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]note{notes[2], notes[0]}, got); diff != "" {
		t.Errorf("List after Delete (-want +got):\n%s", diff)
	}
}

func TestOpenInvalidName(t *testing.T) {
	layout := noteLayout(false)
	layout.Columns = []string{"owner; DROP TABLE notes"}
	_, err := Open(filepath.Join(t.TempDir(), "notes.db"), layout)
	if err == nil || !strings.Contains(err.Error(), "invalid table or column name") {
		t.Errorf("Open error = %v, want invalid table or column name", err)
	}
}

func TestPutWrongColumnCount(t *testing.T) {
	layout := noteLayout(false)
	layout.Row = func(n note) Row { return Row{Key: n.ID, Order: n.Expiry} }
	table := openNotes(t, layout)
	err := table.Put(t.Context(), note{ID: "a", Owner: "ann"})
	if err == nil || !strings.Contains(err.Error(), "0 column values for 1 columns") {
		t.Errorf("Put error = %v, want a column count mismatch", err)
	}
}

func TestDeleteErrorHidesSecretKey(t *testing.T) {
	for _, secret := range []bool{false, true} {
		layout := noteLayout(false)
		layout.SecretKey = secret
		table := openNotes(t, layout)
		if err := table.Close(); err != nil {
			t.Fatal(err)
		}
		err := table.Delete(t.Context(), "key-value")
		if err == nil {
			t.Fatal("Delete on a closed table returned no error")
		}
		if hasKey := strings.Contains(err.Error(), "key-value"); hasKey == secret {
			t.Errorf("SecretKey %t: error %q contains the key: %t", secret, err, hasKey)
		}
		if errors.Unwrap(err) == nil {
			t.Errorf("error %q does not wrap its cause", err)
		}
	}
}

func TestUpdateErrorHidesSecretKey(t *testing.T) {
	const key = "key-value"
	for _, tt := range []struct {
		name     string
		secret   bool
		newKey   string
		wantText string
	}{
		{"plain other key", false, "other-value", `key "other-value", want "key-value"`},
		{"plain empty key", false, "", `key "", want "key-value"`},
		{"secret other key", true, "other-value", "a different key"},
		{"secret empty key", true, "", "an empty key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			layout := noteLayout(false)
			layout.SecretKey = tt.secret
			table := openNotes(t, layout)
			if err := table.Put(t.Context(), note{ID: key, Owner: "ann"}); err != nil {
				t.Fatalf("Put: %v", err)
			}

			err := table.Update(t.Context(), key, func(stored *note) (*note, error) {
				changed := *stored
				changed.ID = tt.newKey
				return &changed, nil
			})
			if err == nil {
				t.Fatal("Update that changed the key returned no error")
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if !tt.secret {
				return
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error %q contains the updated key", err)
			}
			if tt.newKey != "" && strings.Contains(err.Error(), tt.newKey) {
				t.Errorf("error %q contains the changed record's key", err)
			}
		})
	}
}

func TestUpdateReadErrorHidesSecretKey(t *testing.T) {
	for _, secret := range []bool{false, true} {
		layout := noteLayout(false)
		layout.SecretKey = secret
		table := openNotes(t, layout)
		if err := table.Close(); err != nil {
			t.Fatal(err)
		}
		err := table.Update(t.Context(), "key-value", func(stored *note) (*note, error) { return stored, nil })
		if err == nil {
			t.Fatal("Update on a closed table returned no error")
		}
		if hasKey := strings.Contains(err.Error(), "key-value"); hasKey == secret {
			t.Errorf("SecretKey %t: error %q contains the key: %t", secret, err, hasKey)
		}
		if strings.Contains(err.Error(), "note :") {
			t.Errorf("SecretKey %t: error %q leaves a gap where the key was", secret, err)
		}
	}
}
