package worldfile

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/repolink/repolink/shared/privatefile"
)

// sealKeyFile is the file in a simulator's directory that contains the key
// of its Sealer.
const sealKeyFile = "seal.key"

// sealPrefix starts every sealed value and names the format: AES-256-GCM,
// then the standard base64 of the nonce followed by the ciphertext.
const sealPrefix = "aes256gcm:"

// Sealer encrypts the secret values that a simulator must return later,
// such as a secret store's values, so that its world file does not contain
// them in clear. The key is kept in a file of its own, so a world file that
// is copied or shown alone reveals no secret. It does not protect against a
// reader of the whole directory, who can read the key too.
type Sealer struct {
	aead cipher.AEAD
	// digestKey is the HMAC-SHA256 key of Digest. It is derived from the
	// seal key, so that one key file serves both and the AES key is never
	// used as an HMAC key.
	digestKey []byte
}

// LoadSealer reads the key in dir, or creates it with mode 0600 when dir
// has none. An empty dir, which keeps the world in memory only, gives a
// Sealer with a new key that is not saved.
func LoadSealer(dir string) (*Sealer, error) {
	key, err := loadSealKey(dir)
	if err != nil {
		return nil, err
	}
	return newSealer(key, filepath.Join(dir, sealKeyFile))
}

// ReadSealer reads the key in dir without creating one, for a reader of a
// saved world, such as a check that must not change the directory. It
// returns an error that wraps fs.ErrNotExist when dir has no key.
func ReadSealer(dir string) (*Sealer, error) {
	path := filepath.Join(dir, sealKeyFile)
	key, err := privatefile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seal key: %w", err)
	}
	return newSealer(key, path)
}

func newSealer(key []byte, path string) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("seal key %s has %d bytes, want 32; run 'repolink sandbox reset' to start the world afresh", path, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("repolink sandbox digest key"))
	return &Sealer{aead: aead, digestKey: mac.Sum(nil)}, nil
}

func loadSealKey(dir string) ([]byte, error) {
	if dir != "" {
		path := filepath.Join(dir, sealKeyFile)
		key, err := privatefile.ReadFile(path)
		if err == nil && len(key) > 0 {
			return key, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read seal key: %w", err)
		}
		if err := checkNothingSealed(dir); err != nil {
			return nil, err
		}
		if err == nil {
			// An empty key file is what a process killed while creating
			// the key left before keys were written with a link. Nothing is
			// sealed under it, so a new key replaces it.
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("remove empty seal key: %w", err)
			}
		}
	}

	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate seal key: %w", err)
	}
	if dir == "" {
		return key, nil
	}

	// When another process created the key at the same time, its key is
	// read instead.
	created, err := privatefile.CreateExclusive(filepath.Join(dir, sealKeyFile), key)
	if err != nil {
		return nil, fmt.Errorf("create seal key: %w", err)
	}
	if !created {
		return loadSealKey(dir)
	}
	return key, nil
}

// checkNothingSealed returns an error when a world file or journal in dir,
// which has no seal key, contains sealed values. A new key would not open
// them, so every later read of such a value would fail.
func checkNothingSealed(dir string) error {
	var worlds []string
	for _, pattern := range []string{"*.json", "*.journal"} {
		matches, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return fmt.Errorf("list saved worlds: %w", err)
		}
		worlds = append(worlds, matches...)
	}
	for _, world := range worlds {
		data, err := privatefile.ReadFile(world)
		if err != nil {
			return fmt.Errorf("read saved world: %w", err)
		}
		if bytes.Contains(data, []byte(sealPrefix)) {
			return fmt.Errorf("seal key %s is missing, so the sealed values in %s cannot be read; "+
				"run 'repolink sandbox reset' to start the world afresh", filepath.Join(dir, sealKeyFile), world)
		}
	}
	return nil
}

// Seal returns the sealed form of value. An empty value stays empty, so
// that a check for an unset field works on sealed values too.
func (s *Sealer) Seal(value string) (string, error) {
	if value == "" {
		return "", nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal value: %w", err)
	}
	sealed := s.aead.Seal(nonce, nonce, []byte(value), nil)
	return sealPrefix + base64.StdEncoding.EncodeToString(sealed), nil
}

// Open returns the value that Seal sealed. The error names no part of the
// value.
func (s *Sealer) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	encoded, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", errors.New("sealed value has an unknown format")
	}
	data, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(data) < s.aead.NonceSize() {
		return "", errors.New("sealed value is not valid base64 of a nonce and ciphertext")
	}
	nonce, ciphertext := data[:s.aead.NonceSize()], data[s.aead.NonceSize():]
	plain, err := s.aead.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return "", errors.New("sealed value does not open with the seal key; run 'repolink sandbox reset' to start the world afresh")
	}
	return string(plain), nil
}

// Digest returns the hex HMAC-SHA256 of value under a key derived from the
// seal key, for a value that the simulator only compares, such as a user's
// password.
func (s *Sealer) Digest(value string) string {
	mac := hmac.New(sha256.New, s.digestKey)
	mac.Write([]byte(value))
	return hex.EncodeToString(mac.Sum(nil))
}

// LoadSealerAndSealWorld loads the Sealer in dir with LoadSealer and calls
// sealClear with it. sealClear seals the values in clear that a world
// saved by an earlier version contains, and reports whether it sealed any.
// If it did, LoadSealerAndSealWorld saves world to the file name in dir, so
// that the file no longer contains them.
func LoadSealerAndSealWorld(dir, name string, world any, sealClear func(*Sealer) (bool, error)) (*Sealer, error) {
	sealer, err := LoadSealer(dir)
	if err != nil {
		return nil, fmt.Errorf("load seal key: %w", err)
	}
	moved, err := sealClear(sealer)
	if err != nil {
		return nil, err
	}
	if moved {
		if err := SaveDir(dir, name, world); err != nil {
			return nil, fmt.Errorf("save world: %w", err)
		}
	}
	return sealer, nil
}

// OpenDir creates the directory dir when dir is not "", and loads the
// world from the file name in dir with LoadDir. It then loads the Sealer
// with LoadSealerAndSealWorld, which passes the world to sealClear.
func OpenDir[T any](dir, name string, fill func(*T), sealClear func(*T, *Sealer) (bool, error)) (*T, *Sealer, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("create state directory: %w", err)
		}
	}
	world, err := LoadDir(dir, name, fill)
	if err != nil {
		return nil, nil, fmt.Errorf("load world: %w", err)
	}
	sealer, err := LoadSealerAndSealWorld(dir, name, world, func(s *Sealer) (bool, error) {
		return sealClear(world, s)
	})
	if err != nil {
		return nil, nil, err
	}
	return world, sealer, nil
}

// SealClearValues seals the value in clear of each secret in secrets that
// has one into its sealed field, and empties the field in clear. fields
// returns the two fields of a secret. It reports whether it sealed any value. An
// error names the secret's key and, as field, what the value is.
func SealClearValues[S any](s *Sealer, secrets map[string]*S, field string, fields func(*S) (sealed, inClear *string)) (bool, error) {
	moved := false
	for key, secret := range secrets {
		sealed, inClear := fields(secret)
		if *inClear == "" {
			continue
		}
		value, err := s.Seal(*inClear)
		if err != nil {
			return false, fmt.Errorf("seal %s of secret %s: %w", field, key, err)
		}
		*sealed, *inClear = value, ""
		moved = true
	}
	return moved, nil
}
