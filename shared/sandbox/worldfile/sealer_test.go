package worldfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealerRoundTripAcrossLoads(t *testing.T) {
	dir := t.TempDir()
	const value = "p@ss:w0rd/%^"
	first, err := LoadSealer(dir)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := first.Seal(value)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, value) {
		t.Errorf("sealed form %q contains the value", sealed)
	}
	info, err := os.Stat(filepath.Join(dir, sealKeyFile))
	if err != nil {
		t.Fatalf("seal key not saved: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("seal key mode = %o, want 600", mode)
	}

	second, err := LoadSealer(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := second.Open(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if got != value {
		t.Errorf("Open = %q, want %q", got, value)
	}
}

func TestSealerOtherKeyFails(t *testing.T) {
	first, err := LoadSealer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := first.Seal("value")
	if err != nil {
		t.Fatal(err)
	}
	other, err := LoadSealer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(sealed); err == nil || !strings.Contains(err.Error(), "repolink sandbox reset") {
		t.Errorf("Open with another key: err = %v, want one that names repolink sandbox reset", err)
	}
}

func TestSealerEmptyStaysEmpty(t *testing.T) {
	sealer, err := LoadSealer("")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := sealer.Seal("")
	if err != nil || sealed != "" {
		t.Errorf("Seal(\"\") = %q, %v; want \"\", nil", sealed, err)
	}
}

type testSecret struct {
	Sealed  string `json:"sealed"`
	InClear string `json:"in_clear"`
}

func testSecretFields(s *testSecret) (*string, *string) { return &s.Sealed, &s.InClear }

func TestSealClearValuesMovesClearOnly(t *testing.T) {
	sealer, err := LoadSealer("")
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]*testSecret{
		"clear":  {InClear: "clear-value"},
		"sealed": {Sealed: "already-sealed"},
	}

	moved, err := SealClearValues(sealer, secrets, "value", testSecretFields)
	if err != nil {
		t.Fatal(err)
	}
	if !moved {
		t.Error("moved = false, want true for a secret in clear")
	}
	if got := secrets["clear"].InClear; got != "" {
		t.Errorf("field in clear after sealing = %q, want empty", got)
	}
	opened, err := sealer.Open(secrets["clear"].Sealed)
	if err != nil {
		t.Fatal(err)
	}
	if opened != "clear-value" {
		t.Errorf("Open of the sealed field = %q, want the value in clear", opened)
	}
	if got := secrets["sealed"].Sealed; got != "already-sealed" {
		t.Errorf("sealed field of a secret without a value in clear = %q, want it unchanged", got)
	}

	moved, err = SealClearValues(sealer, secrets, "value", testSecretFields)
	if err != nil {
		t.Fatal(err)
	}
	if moved {
		t.Error("second call: moved = true, want false")
	}
}

func TestLoadSealerAndSealWorldSavesOnlyMoved(t *testing.T) {
	dir := t.TempDir()
	world := map[string]string{"key": "sealed"}
	noneMoved := func(*Sealer) (bool, error) { return false, nil }
	if _, err := LoadSealerAndSealWorld(dir, "world.json", world, noneMoved); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "world.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("world file after no value moved: Stat err = %v, want not exist", err)
	}

	var received *Sealer
	someMoved := func(s *Sealer) (bool, error) {
		received = s
		return true, nil
	}
	sealer, err := LoadSealerAndSealWorld(dir, "world.json", world, someMoved)
	if err != nil {
		t.Fatal(err)
	}
	if received == nil || received != sealer {
		t.Error("sealClear did not get the returned Sealer")
	}
	var saved map[string]string
	if err := Load(filepath.Join(dir, "world.json"), &saved); err != nil {
		t.Fatal(err)
	}
	if saved["key"] != "sealed" {
		t.Errorf("saved world = %v, want %v", saved, world)
	}

	failure := errors.New("seal failed")
	failed := func(*Sealer) (bool, error) { return false, failure }
	if _, err := LoadSealerAndSealWorld(dir, "world.json", world, failed); !errors.Is(err, failure) {
		t.Errorf("err = %v, want the error of sealClear", err)
	}
}

type testWorld struct {
	Secrets map[string]*testSecret `json:"secrets"`
}

func (w *testWorld) fillMaps() {
	if w.Secrets == nil {
		w.Secrets = map[string]*testSecret{}
	}
}

func (w *testWorld) sealClear(s *Sealer) (bool, error) {
	return SealClearValues(s, w.Secrets, "value", testSecretFields)
}

func TestOpenDirCreatesDirAndSealsWorld(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	earlier := &testWorld{Secrets: map[string]*testSecret{"api": {InClear: "clear-value"}}}
	if err := SaveDir(dir, "world.json", earlier); err != nil {
		t.Fatal(err)
	}

	world, sealer, err := OpenDir(dir, "world.json", (*testWorld).fillMaps, (*testWorld).sealClear)
	if err != nil {
		t.Fatal(err)
	}
	if got := world.Secrets["api"].InClear; got != "" {
		t.Errorf("value in clear after OpenDir = %q, want empty", got)
	}
	opened, err := sealer.Open(world.Secrets["api"].Sealed)
	if err != nil {
		t.Fatal(err)
	}
	if opened != "clear-value" {
		t.Errorf("Open of the sealed value = %q, want the value in clear", opened)
	}
	var saved testWorld
	if err := Load(filepath.Join(dir, "world.json"), &saved); err != nil {
		t.Fatal(err)
	}
	if got := saved.Secrets["api"].InClear; got != "" {
		t.Errorf("saved value in clear = %q, want empty", got)
	}

	fresh := filepath.Join(t.TempDir(), "new", "state")
	world, _, err = OpenDir(fresh, "world.json", (*testWorld).fillMaps, (*testWorld).sealClear)
	if err != nil {
		t.Fatal(err)
	}
	if world.Secrets == nil {
		t.Error("Secrets of a new world is nil, want an empty map")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("state directory after OpenDir: %v", err)
	}
}

func TestOpenDirInvalidWorldFails(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "world.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := OpenDir(dir, "world.json", (*testWorld).fillMaps, (*testWorld).sealClear)
	if err == nil || !strings.HasPrefix(err.Error(), "load world: ") {
		t.Errorf("err = %v, want one starting with %q", err, "load world: ")
	}
}

func TestLoadSealerMissingKeyWithSealedWorld(t *testing.T) {
	dir := t.TempDir()
	sealer, err := LoadSealer(dir)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := sealer.Seal("index-password")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "aws.json"), []byte(`{"secrets":{"s":{"value_sealed":"`+sealed+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, sealKeyFile)); err != nil {
		t.Fatal(err)
	}

	_, err = LoadSealer(dir)
	if err == nil || !strings.Contains(err.Error(), "repolink sandbox reset") || !strings.Contains(err.Error(), "aws.json") {
		t.Fatalf("LoadSealer without the key of a sealed world: %v, want an error naming aws.json and sandbox reset", err)
	}
	if _, err := os.Stat(filepath.Join(dir, sealKeyFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a new seal key was created: %v", err)
	}

	// A world without sealed values gets a new key.
	if err := os.WriteFile(filepath.Join(dir, "aws.json"), []byte(`{"secrets":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSealer(dir); err != nil {
		t.Errorf("LoadSealer of a world without sealed values: %v", err)
	}
}

func TestLoadSealerMissingKeyWithSealedJournal(t *testing.T) {
	dir := t.TempDir()
	sealer, err := LoadSealer(dir)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := sealer.Seal("index-password")
	if err != nil {
		t.Fatal(err)
	}
	record := `{"account":"A","state":{"password_sealed":"` + sealed + `"}}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "snowflake.journal"), []byte(record), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, sealKeyFile)); err != nil {
		t.Fatal(err)
	}

	_, err = LoadSealer(dir)
	if err == nil || !strings.Contains(err.Error(), "snowflake.journal") {
		t.Errorf("LoadSealer without the key of a sealed journal: %v, want an error naming snowflake.journal", err)
	}
}

// TestLoadSealerReplacesEmptyKey loads a directory whose key file is
// empty, as a process killed while creating the key left it, with no
// sealed value.
func TestLoadSealerReplacesEmptyKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, sealKeyFile)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	if _, err := LoadSealer(dir); err != nil {
		t.Fatalf("LoadSealer with an empty key file: %v", err)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != 32 {
		t.Errorf("key file has %d bytes, want 32", len(key))
	}
	temporary, err := filepath.Glob(filepath.Join(dir, sealKeyFile+".*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(temporary) != 0 {
		t.Errorf("temporary key files left behind: %v", temporary)
	}
}
