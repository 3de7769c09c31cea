package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadDocumentNeedsOnlyRequest(t *testing.T) {
	requestJSON, err := os.ReadFile(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	if _, _, err := readDocument(write("request-only.json", `{"request": `+string(requestJSON)+`}`)); err != nil {
		t.Errorf("document with only a request: %v", err)
	}

	_, _, err = readDocument(write("resources-only.json", `{"resources": {}}`))
	if err == nil {
		t.Fatal("document without a request accepted")
	}
	if !strings.Contains(err.Error(), `it needs a "request" object and may have a "resources" object`) {
		t.Errorf("error %q does not say that only request is required", err)
	}
}
