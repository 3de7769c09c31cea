package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// lockRecordLine returns value as a line of the service lock file: prefix,
// then value as JSON. what names the record in the error.
func lockRecordLine(prefix, what string, value any) ([]byte, error) {
	data, err := json.Marshal(value)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", what, err)
	}
	return append(append([]byte(prefix), data...), '\n'), nil
}

// readLockRecord decodes into value the first line after prefix in the
// service lock file of the repolink up that serves dir. It reports false
// when there is none, such as while the service starts.
func readLockRecord(dir, prefix string, value any) bool {
	data, err := os.ReadFile(filepath.Join(dir, lockFile))
	if err != nil {
		return false
	}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	scanner.Buffer(nil, len(data)+1)
	for scanner.Scan() {
		text, ok := strings.CutPrefix(scanner.Text(), prefix)
		if ok && json.Unmarshal([]byte(text), value) == nil {
			return true
		}
	}
	return false
}
