package azuresim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// vaultPathPrefix starts the paths of the sandbox Key Vaults: a client
// whose vault URL is <server>/vaults/<name> reaches the vault <name>.
const vaultPathPrefix = "/vaults/"

// vaultChallenge is the WWW-Authenticate challenge that a real vault returns
// for a request without a token, which makes the Key Vault client fetch one.
const vaultChallenge = `Bearer authorization="https://login.microsoftonline.com/sandbox", resource="https://vault.azure.net"`

// VaultURL returns the URL that stands for the Key Vault called name.
func (s *Server) VaultURL(name string) string {
	return VaultURLAt(s.URL(), name)
}

// VaultURLAt returns the URL of the sandbox Key Vault called name on the
// server whose base URL is serverURL.
func VaultURLAt(serverURL, name string) string {
	return serverURL + vaultPathPrefix + strings.ToLower(name)
}

// PutSecret stores a new version of a Key Vault secret, with a random
// version ID.
func (s *Server) PutSecret(vault, name, value string) error {
	return s.PutSecretVersion(vault, name, randomHex(32), value)
}

// PutSecretVersion stores value as the version of a Key Vault secret with
// the ID version. The vault keeps only that version of the secret.
func (s *Server) PutSecretVersion(vault, name, version, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sealed, err := s.sealer.Seal(value)
	if err != nil {
		return err
	}
	k := strings.ToLower(vault + "/" + name)
	previous := s.world.Secrets[k]
	s.world.Secrets[k] = &Secret{Value: sealed, Version: version}
	if err := s.commit(); err != nil {
		s.world.Secrets[k] = previous
		return err
	}
	return nil
}

// HasSecret reports whether the vault holds the secret.
func (s *Server) HasSecret(vault, name string) bool {
	_, ok := s.SecretVersion(vault, name)
	return ok
}

// SecretVersion returns the version ID of the secret that the vault holds,
// and whether it holds one.
func (s *Server) SecretVersion(vault, name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	secret, ok := s.world.Secrets[strings.ToLower(vault+"/"+name)]
	if !ok {
		return "", false
	}
	return secret.Version, true
}

// serveVault serves GET /vaults/<vault>/secrets/<name>[/<version>]. A
// request without a bearer token gets the challenge. An empty or current
// version returns the secret.
func (s *Server) serveVault(w http.ResponseWriter, r *http.Request) {
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); !ok || strings.TrimSpace(token) == "" {
		w.Header().Set("WWW-Authenticate", vaultChallenge)
		s.writeError(w, r, errorf(http.StatusUnauthorized, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."))
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		s.writeError(w, r, errorf(http.StatusBadRequest, "BadParameter", "The api-version query parameter is required."))
		return
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, vaultPathPrefix), "/"), "/")
	if r.Method != http.MethodGet || len(parts) < 3 || len(parts) > 4 || parts[1] != "secrets" {
		s.writeError(w, r, errorf(http.StatusBadRequest, "BadParameter", "the sandbox vault serves only GET /secrets/<name>[/<version>]"))
		return
	}
	vault, name := parts[0], parts[2]
	version := ""
	if len(parts) == 4 {
		version = parts[3]
	}

	s.mu.Lock()
	secret := s.world.Secrets[strings.ToLower(vault+"/"+name)]
	s.mu.Unlock()
	if secret == nil || version != "" && version != secret.Version {
		s.writeError(w, r, errorf(http.StatusNotFound, "SecretNotFound", "A secret with (name/id) %s was not found in this key vault.", name))
		return
	}
	value, err := s.sealer.Open(secret.Value)
	if err != nil {
		s.log.Error("azuresim secret value does not open", "vault", vault, "secret", name, "error", err)
		s.writeError(w, r, errorf(http.StatusInternalServerError, "InternalServerError", "open the value of secret %s: %v", name, err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"value":      value,
		"id":         fmt.Sprintf("https://%s.vault.azure.net/secrets/%s/%s", vault, name, secret.Version),
		"attributes": map[string]any{"enabled": true},
	})
}
