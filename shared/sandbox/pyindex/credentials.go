package pyindex

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/repolink/repolink/shared/sandbox/worldfile"
)

// credentialFile is the file in Options.Dir that keeps the credentials that
// SetCredential added.
const credentialFile = "credentials.json"

// credentials are the user name and password pairs that an index accepts,
// as a real index accepts those of several users or tokens. They keep only
// a keyed digest of each pair, so the file that persists them holds no
// password.
type credentials struct {
	// Key is the HMAC-SHA256 key of the digests, hex encoded and made once
	// per file.
	Key string `json:"key"`
	// Entries are the credentials that SetCredential added, in the order
	// of their first addition.
	Entries []credentialEntry `json:"entries"`
}

// credentialEntry is one accepted credential.
type credentialEntry struct {
	// Host is the lower-case host name that the credential is valid for.
	// Empty means every host.
	Host string `json:"host"`
	// Name distinguishes the credentials of one host, such as the
	// reference of the secret that contains the password. A new credential
	// under the same host and name replaces the old one.
	Name string `json:"name"`
	// Digest is the hex HMAC-SHA256 of the user name and password.
	Digest string `json:"digest"`
}

// loadCredentials reads the credentials in dir, or returns an empty set
// with a new key when dir is empty or holds none.
func loadCredentials(dir string) (*credentials, error) {
	c, err := worldfile.LoadDir(dir, credentialFile, func(*credentials) {})
	if err != nil {
		return nil, fmt.Errorf("load index credentials: %w", err)
	}
	if c.Key == "" {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generate index credential key: %w", err)
		}
		c.Key = hex.EncodeToString(key)
	}
	return c, nil
}

// save writes the credentials to dir, unless dir is empty.
func (c *credentials) save(dir string) error {
	if err := worldfile.SaveDir(dir, credentialFile, c); err != nil {
		return fmt.Errorf("save index credentials in %s: %w", filepath.Join(dir, credentialFile), err)
	}
	return nil
}

// digest returns the hex HMAC-SHA256 of a user name and password. The
// length prefix keeps "ab"+"c" and "a"+"bc" apart.
func (c *credentials) digest(user, password string) string {
	key, _ := hex.DecodeString(c.Key)
	mac := hmac.New(sha256.New, key)
	var length [8]byte
	binary.BigEndian.PutUint64(length[:], uint64(len(user)))
	mac.Write(length[:])
	mac.Write([]byte(user))
	mac.Write([]byte(password))
	return hex.EncodeToString(mac.Sum(nil))
}

// set adds a credential, or replaces the one with the same host and name.
// It reports whether the set changed.
func (c *credentials) set(host, name, user, password string) bool {
	entry := credentialEntry{Host: strings.ToLower(host), Name: name, Digest: c.digest(user, password)}
	for i, e := range c.Entries {
		if e.Host == entry.Host && e.Name == entry.Name {
			if e.Digest == entry.Digest {
				return false
			}
			c.Entries[i] = entry
			return true
		}
	}
	c.Entries = append(c.Entries, entry)
	return true
}

// accepts reports whether user and password are a credential of host. It
// compares the digest with every credential of the host, in time that does
// not depend on which one matches or where a digest differs.
func (c *credentials) accepts(host, user, password string) bool {
	got := []byte(c.digest(user, password))
	host = strings.ToLower(host)
	match := 0
	for _, e := range c.Entries {
		if e.Host == "" || e.Host == host {
			match |= subtle.ConstantTimeCompare(got, []byte(e.Digest))
		}
	}
	return match == 1
}
