package gcpsim

import (
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/repolink/repolink/shared/sandbox/worldfile"
)

// secretsPrefix starts the Secret Manager paths, such as
// /v1/projects/p/secrets/s/versions/latest:access.
const secretsPrefix = "/v1/projects/"

// accessPattern matches the path of secretVersions.access.
var accessPattern = regexp.MustCompile(`^/v1/(projects/[^/]+/secrets/[^/]+)/versions/([^/:]+):access$`)

// Secret is a Secret Manager secret with its versions, oldest first.
type Secret struct {
	// Versions are the values, sealed with the world's worldfile.Sealer.
	Versions []string `json:"versions_sealed,omitempty"`
	// ClearVersions are the values in clear that worlds saved by earlier
	// versions contain. Start seals them into Versions and saves the world
	// without them.
	ClearVersions []string `json:"versions,omitempty"`
}

// sealClearSecrets moves the clear values of secrets that an earlier
// version saved into their sealed field. It reports whether it moved any.
func (w *World) sealClearSecrets(sealer *worldfile.Sealer) (bool, error) {
	moved := false
	for name, secret := range w.Secrets {
		if len(secret.ClearVersions) == 0 {
			continue
		}
		for _, value := range secret.ClearVersions {
			sealed, err := sealer.Seal(value)
			if err != nil {
				return false, fmt.Errorf("seal a version of secret %s: %w", name, err)
			}
			secret.Versions = append(secret.Versions, sealed)
		}
		secret.ClearVersions = nil
		moved = true
	}
	return moved, nil
}

// serveSecret serves secretVersions.access. It returns the payload
// base64-encoded with its CRC32C checksum, as the REST API sends it.
func (s *Server) serveSecret(w http.ResponseWriter, r *http.Request) {
	m := accessPattern.FindStringSubmatch(r.URL.Path)
	if m == nil || r.Method != http.MethodGet {
		writeError(w, notFound(r.URL.Path))
		return
	}
	name, version := m[1], m[2]
	s.mu.Lock()
	var versions []string
	if secret, ok := s.world.Secrets[name]; ok {
		versions = slices.Clone(secret.Versions)
	}
	s.mu.Unlock()

	index := len(versions)
	if version != "latest" {
		n, err := strconv.Atoi(version)
		if err != nil || n < 1 || n > len(versions) {
			n = 0
		}
		index = n
	}
	if index == 0 {
		s.log.Info("gcpsim secret not found", "secret", name, "version", version)
		writeError(w, notFound(name+"/versions/"+version))
		return
	}
	value, err := s.sealer.Open(versions[index-1])
	if err != nil {
		s.log.Error("gcpsim secret version does not open", "secret", name, "version", index, "error", err)
		writeError(w, errorf(http.StatusInternalServerError, "internalError", "open version %d of secret %s: %v", index, name, err))
		return
	}
	data := []byte(value)
	writeJSON(w, http.StatusOK, map[string]any{
		"name": fmt.Sprintf("%s/versions/%d", name, index),
		"payload": map[string]string{
			"data":       base64.StdEncoding.EncodeToString(data),
			"dataCrc32c": strconv.FormatUint(uint64(crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))), 10),
		},
	})
}

// PutSecret adds a version with value to the secret
// projects/<project>/secrets/<secret>, creating the secret when absent.
func (s *Server) PutSecret(name, value string) error {
	if !strings.HasPrefix(name, "projects/") || strings.Count(name, "/") != 3 {
		return fmt.Errorf("secret name %q is not projects/<project>/secrets/<secret>", name)
	}
	sealed, err := s.sealer.Seal(value)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	secret, ok := s.world.Secrets[name]
	if !ok {
		secret = &Secret{}
		s.world.Secrets[name] = secret
	}
	secret.Versions = append(secret.Versions, sealed)
	if err := s.commit(); err != nil {
		return err
	}
	return nil
}

// HasSecret reports whether the secret has a version.
func (s *Server) HasSecret(name string) bool {
	return s.SecretVersions(name) > 0
}

// SecretVersions returns the number of versions of the secret, 0 when the
// sandbox does not hold it.
func (s *Server) SecretVersions(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if secret, ok := s.world.Secrets[name]; ok {
		return len(secret.Versions)
	}
	return 0
}
