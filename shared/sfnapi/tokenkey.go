package sfnapi

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"

	"github.com/repolink/repolink/shared/privatefile"
)

// TokenKeyFile is the name of the file in a state directory that contains
// the key of Options.TokenKey.
const TokenKeyFile = "sfn-token.key"

// tokenKeyBytes is the length of a nextToken key, the output size of
// SHA-256.
const tokenKeyBytes = 32

// LoadTokenKey reads the nextToken key from path, or creates it with mode
// 0600 when path does not exist. It does not follow a symbolic link at
// path. Handlers that are given the same key accept each other's
// nextTokens, so tokens survive a restart of the process.
func LoadTokenKey(path string) ([]byte, error) {
	key, err := privatefile.ReadFile(path)
	if err == nil {
		if len(key) != tokenKeyBytes {
			return nil, fmt.Errorf("nextToken key %s has %d bytes, want %d; delete it, "+
				"so that a new one is created and earlier nextTokens stop working", path, len(key), tokenKeyBytes)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read nextToken key: %w", err)
	}

	key = make([]byte, tokenKeyBytes)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate nextToken key: %w", err)
	}
	// When another process created the key at the same time, its key is
	// read instead.
	created, err := privatefile.CreateExclusive(path, key)
	if err != nil {
		return nil, fmt.Errorf("create nextToken key: %w", err)
	}
	if !created {
		return LoadTokenKey(path)
	}
	return key, nil
}
