package worldfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
