package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/repolink/repolink/shared/indexurl"
	"github.com/repolink/repolink/shared/request"
)

// Names of the index products whose credentials have a documented shape,
// as indexurl.Products names them.
const (
	productCodeArtifact      = "AWS CodeArtifact"
	productArtifactRegistry  = "Google Artifact Registry"
	productAzureDevOps       = "Azure DevOps Artifacts"
	productAzureDevOpsServer = "Azure DevOps Server"
	productGitLab            = "GitLab package registry"
)

// User names of Artifact Registry: one for a base64-encoded service
// account key, one for an OAuth access token.
const (
	artifactRegistryKeyUser   = "_json_key_base64"
	artifactRegistryTokenUser = "oauth2accesstoken"
)

// indexSecretGenerator returns the generator of a missing secret that the
// repository credential references. The secret has the shape that the
// index product of repo.IndexURL documents, so that preflight's
// credential_template check passes and the index accepts the credential.
// A password secret holds the password of repo.Auth.Username. A token
// secret holds user:token with a user name that the product accepts.
func indexSecretGenerator(repo request.Repository) func() (string, error) {
	product := indexProduct(repo.IndexURL)
	if repo.Auth.Type != "token" {
		return indexPasswordGenerator(product, repo.Auth.Username, repo.IndexURL)
	}
	user := tokenUser(product)
	generate := indexPasswordGenerator(product, user, repo.IndexURL)
	return func() (string, error) {
		token, err := generate()
		return user + ":" + token, err
	}
}

// indexProduct returns the name of the index product that indexURL names,
// or "" for any other PEP 503 index.
func indexProduct(indexURL string) string {
	u, err := url.Parse(indexURL)
	if err != nil {
		return ""
	}
	product, named := indexurl.Identify(u)
	if !named {
		return ""
	}
	return product.Name
}

// tokenUser returns the user part of a seeded token secret: the user name
// that the product requires, __token__ for a GitLab personal access token,
// or "sandbox" where any user name works.
func tokenUser(product string) string {
	switch product {
	case productCodeArtifact:
		return request.CodeArtifactUser
	case productArtifactRegistry:
		return artifactRegistryKeyUser
	case productGitLab:
		return "__token__"
	}
	return "sandbox"
}

// indexPasswordGenerator returns the generator of the password that the
// product expects with user.
func indexPasswordGenerator(product, user, indexURL string) func() (string, error) {
	switch {
	case product == productArtifactRegistry && user == artifactRegistryKeyUser:
		return func() (string, error) { return serviceAccountKeyBase64(artifactRegistryProject(indexURL)) }
	case product == productArtifactRegistry && user == artifactRegistryTokenUser:
		// Google OAuth access tokens usually start with ya29.
		return func() (string, error) { return randomToken("ya29.", 64) }
	case product == productAzureDevOps, product == productAzureDevOpsServer:
		return azureDevOpsPAT
	case product == productGitLab && user == "__token__":
		return func() (string, error) { return randomToken("glpat-", 20) }
	case product == productGitLab:
		// GitLab prefixes new deploy tokens with gldt-.
		return func() (string, error) { return randomToken("gldt-", 20) }
	}
	return randomPassword
}

// artifactRegistryProject returns the project of an Artifact Registry
// index URL, https://LOCATION-python.pkg.dev/PROJECT/REPOSITORY/simple/.
func artifactRegistryProject(indexURL string) string {
	u, err := url.Parse(indexURL)
	if err != nil {
		return "sandbox-project"
	}
	project, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if project == "" {
		return "sandbox-project"
	}
	return project
}

// serviceAccountKeyBase64 returns a service account key file of project,
// encoded with standard base64 as `base64 -w0` encodes it, which is the
// password that Artifact Registry expects with the user _json_key_base64.
func serviceAccountKeyBase64(project string) (string, error) {
	keyPEM, err := newPrivateKeyPEM()
	if err != nil {
		return "", err
	}
	keyID := make([]byte, 20)
	if _, err := rand.Read(keyID); err != nil {
		return "", fmt.Errorf("generate sandbox service account key ID: %w", err)
	}
	email := "repolink-sandbox@" + project + ".iam.gserviceaccount.com"
	key := map[string]string{
		"type":           "service_account",
		"project_id":     project,
		"private_key_id": hex.EncodeToString(keyID),
		"private_key":    keyPEM,
		"client_email":   email,
		"token_uri":      "https://oauth2.googleapis.com/token",
	}
	data, err := json.Marshal(key)
	if err != nil {
		return "", fmt.Errorf("encode sandbox service account key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(data), nil
}

// azureDevOpsPAT returns a token in the older Azure DevOps personal access
// token format: 52 characters of lower-case base32.
func azureDevOpsPAT() (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	buf := make([]byte, 52)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generate sandbox personal access token: %w", err)
	}
	for i, b := range buf {
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(buf), nil
}

// randomToken returns prefix followed by n random letters and digits.
func randomToken(prefix string, n int) (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generate sandbox token: %w", err)
	}
	for i, b := range buf {
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return prefix + string(buf), nil
}
