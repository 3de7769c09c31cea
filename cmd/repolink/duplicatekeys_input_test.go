package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/sfnapi"
)

// duplicateKeyInputs returns execution inputs with a key repeated outside
// the request, each with the path that the error must name.
func duplicateKeyInputs(t *testing.T) map[string]string {
	t.Helper()
	requestA := strings.TrimPrefix(strings.TrimSuffix(exampleInput(t, "public.json", nil), "}"), `{"request":`)
	return map[string]string{
		`$.request`:          `{"request":` + requestA + `,"request":` + requestA + `}`,
		`$.resources`:        `{"request":` + requestA + `,"resources":{},"resources":{}}`,
		`$.resources.secret`: `{"request":` + requestA + `,"resources":{"secret":{"action":"created"},"secret":{"action":"adopted"}}}`,
	}
}

func TestAPIInputDuplicateKeysRejected(t *testing.T) {
	for path, input := range duplicateKeyInputs(t) {
		for _, machine := range []string{provisionMachine, teardownMachine, egressRefreshMachine} {
			_, err := prepareAPIInput(context.Background(), machine, json.RawMessage(input))
			var invalid *sfnapi.InvalidInputError
			if !errors.As(err, &invalid) {
				t.Errorf("%s input with a repeated %s: error = %v, want InvalidInputError", machine, path, err)
				continue
			}
			want := path + ": appears more than once in the same object"
			if !strings.Contains(invalid.Message, want) {
				t.Errorf("%s input: message %q does not contain %q", machine, invalid.Message, want)
			}
		}
	}
}

func TestInvokeInputDuplicateKeysRejected(t *testing.T) {
	dir := t.TempDir()
	for path, input := range duplicateKeyInputs(t) {
		file := filepath.Join(dir, "input.json")
		if err := os.WriteFile(file, []byte(input), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := readDocument(file)
		if err == nil {
			t.Errorf("--input with a repeated %s accepted", path)
			continue
		}
		if code := exitCode(err, &strings.Builder{}); code != exitInvalid {
			t.Errorf("--input with a repeated %s: exit %d, want %d", path, code, exitInvalid)
		}
		want := path + ": appears more than once in the same object"
		if !strings.Contains(err.Error(), want) {
			t.Errorf("--input error %q does not contain %q", err, want)
		}
	}
}
