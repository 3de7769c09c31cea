package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/repolink/repolink/shared/privatefile"
)

// lockFile is the file in the state directory that repolink up holds an
// exclusive flock on while it serves the directory.
const lockFile = "up.lock"

// serviceLock is repolink up's hold on a state directory.
type serviceLock struct{ file *os.File }

// recordLocalRefs appends the record of the service's --allow-local-refs
// to the lock file, where run reads it.
func (l *serviceLock) recordLocalRefs(record servedLocalRefs) error {
	line, err := record.line()
	if err != nil {
		return err
	}
	if err := l.appendLine(line); err != nil {
		return fmt.Errorf("record allowed local references: %w", err)
	}
	return nil
}

// recordDomains appends the record of the service's
// --codeartifact-domains to the lock file, where run and redrive read it.
func (l *serviceLock) recordDomains(record servedDomains) error {
	line, err := record.line()
	if err != nil {
		return err
	}
	if err := l.appendLine(line); err != nil {
		return fmt.Errorf("record CodeArtifact domains: %w", err)
	}
	return nil
}

// appendLine writes line at the end of the lock file.
func (l *serviceLock) appendLine(line []byte) error {
	info, err := l.file.Stat()
	if err != nil {
		return err
	}
	_, err = l.file.WriteAt(line, info.Size())
	return err
}

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
	data, err := privatefile.ReadFile(filepath.Join(dir, lockFile))
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
