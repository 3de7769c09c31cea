package worldfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type state struct {
	Name   string            `json:"name"`
	Counts map[string]int    `json:"counts"`
	Tags   map[string]string `json:"tags,omitempty"`
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "world.json")
	want := state{Name: "sandbox", Counts: map[string]int{"vpc": 2, "subnet": 5}}
	if err := Save(path, want); err != nil {
		t.Fatalf("Save: %v", err)
	}

	var got state
	if err := Load(path, &got); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("loaded state (-want +got):\n%s", diff)
	}
}

func TestSaveReplacesAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "world.json")
	for _, name := range []string{"first", "second"} {
		if err := Save(path, state{Name: name}); err != nil {
			t.Fatalf("Save(%s): %v", name, err)
		}
	}

	var got state
	if err := Load(path, &got); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.Name != "second" {
		t.Errorf("Name = %q, want the last saved %q", got.Name, "second")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"world.json"}, names); diff != "" {
		t.Errorf("files after two saves (-want +got):\n%s", diff)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("mode = %v, want 0600 because the state may contain secrets", mode)
	}
}

func TestLoadMissingKeepsValue(t *testing.T) {
	got := state{Name: "default"}
	if err := Load(filepath.Join(t.TempDir(), "absent.json"), &got); err != nil {
		t.Fatalf("Load of a missing file: %v", err)
	}
	if got.Name != "default" {
		t.Errorf("Name = %q, want the value before Load", got.Name)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{name: "corrupt", path: corrupt, wantErr: "parse state file " + corrupt},
		{name: "directory", path: dir, wantErr: "read state file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got state
			err := Load(tt.path, &got)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSaveErrors(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		value   any
		wantErr string
	}{
		{name: "unencodable", path: filepath.Join(t.TempDir(), "w.json"), value: func() {}, wantErr: "encode state"},
		{name: "missing directory", path: filepath.Join(t.TempDir(), "absent", "w.json"), value: state{}, wantErr: "write state file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Save(tt.path, tt.value)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Save error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func fillState(s *state) {
	if s.Counts == nil {
		s.Counts = map[string]int{}
	}
}

func TestLoadDir(t *testing.T) {
	tests := []struct {
		name string
		file string // contents of world.json; empty writes no file
		want state
	}{
		{name: "missing file", want: state{Counts: map[string]int{}}},
		{name: "null map", file: `{"name":"a","counts":null}`, want: state{Name: "a", Counts: map[string]int{}}},
		{name: "stored map", file: `{"name":"b","counts":{"vpc":1}}`, want: state{Name: "b", Counts: map[string]int{"vpc": 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				if err := os.WriteFile(filepath.Join(dir, "world.json"), []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LoadDir(dir, "world.json", fillState)
			if err != nil {
				t.Fatalf("LoadDir: %v", err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("loaded state (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadDirParseError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "world.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadDir(dir, "world.json", fillState)
	if err == nil || !strings.Contains(err.Error(), "parse state file") {
		t.Errorf("LoadDir error = %v, want one containing %q", err, "parse state file")
	}
}

func TestSaveDirRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := state{Name: "sandbox", Counts: map[string]int{"subnet": 3}}
	if err := SaveDir(dir, "world.json", want); err != nil {
		t.Fatalf("SaveDir: %v", err)
	}
	got, err := LoadDir(dir, "world.json", fillState)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("loaded state (-want +got):\n%s", diff)
	}
}

func TestEmptyDirKeepsMemoryOnly(t *testing.T) {
	got, err := LoadDir("", "world.json", fillState)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	if diff := cmp.Diff(state{Counts: map[string]int{}}, *got); diff != "" {
		t.Errorf("loaded state (-want +got):\n%s", diff)
	}

	// SaveDir must not fall back to the working directory.
	t.Chdir(t.TempDir())
	if err := SaveDir("", "world.json", state{Name: "x"}); err != nil {
		t.Fatalf("SaveDir: %v", err)
	}
	if _, err := os.Stat("world.json"); !os.IsNotExist(err) {
		t.Errorf("stat world.json after SaveDir with no dir: %v, want not exist", err)
	}
}

// A process killed during Save leaves its temporary file, which holds the
// whole state. Load removes it once it is old, and leaves a young one that
// a running Save may still rename.
func TestLoadRemovesTempFilesOfKilledSaves(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "world.json")
	if err := Save(path, state{Name: "saved"}); err != nil {
		t.Fatal(err)
	}
	stale := path + ".1234.tmp"
	young := path + ".5678.tmp"
	other := filepath.Join(dir, "other.json.1234.tmp")
	for _, name := range []string{stale, young, other} {
		if err := os.WriteFile(name, []byte(`{"name":"partial"}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleAfter)
	for _, name := range []string{stale, other} {
		if err := os.Chtimes(name, old, old); err != nil {
			t.Fatal(err)
		}
	}

	var got state
	if err := Load(path, &got); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.Name != "saved" {
		t.Errorf("Name = %q, want %q", got.Name, "saved")
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file is still there (stat error %v)", err)
	}
	for _, name := range []string{young, other} {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(name), err)
		}
	}
}

func TestFillMapKeepsExistingMap(t *testing.T) {
	var empty map[string]int
	FillMap(&empty)
	if empty == nil {
		t.Error("FillMap of a nil map left it nil, want an empty map")
	}

	existing := map[string]int{"a": 1}
	FillMap(&existing)
	if existing["a"] != 1 {
		t.Errorf("FillMap of a map with entries = %v, want it unchanged", existing)
	}
}
