package azure

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// KeyVaultScheme is the reference scheme that KeyVault resolves.
const KeyVaultScheme = "azure-keyvault"

// KeyVault resolves azure-keyvault: references of the form
// azure-keyvault:https://<vault>.vault.azure.net/secrets/<name>[/<version>],
// the secret identifier that the portal and the CLI show. It keeps one
// client per vault and is safe for concurrent use.
type KeyVault struct {
	cred    azcore.TokenCredential
	options azsecrets.ClientOptions
	// vaultURL maps a vault URL from a reference to the URL to call.
	vaultURL func(string) string

	mu      sync.Mutex
	clients map[string]*azsecrets.Client
}

// NewKeyVault returns a resolver with opts' credential, transport and
// retries. A non-nil vaultURL replaces the vault URL of every reference,
// such as with the sandbox's. The vault's challenge then need not name a
// vault.azure.net resource.
func NewKeyVault(opts Options, vaultURL func(string) string) (*KeyVault, error) {
	cred, err := opts.credential()
	if err != nil {
		return nil, err
	}
	kv := &KeyVault{cred: cred, vaultURL: vaultURL, clients: map[string]*azsecrets.Client{}}
	kv.options.ClientOptions = opts.clientOptions().ClientOptions
	if vaultURL != nil {
		kv.options.DisableChallengeResourceVerification = true
	}
	return kv, nil
}

// ParseKeyVaultRef splits a reference into its vault URL, secret name and
// version, which is empty for the current version.
func ParseKeyVaultRef(ref string) (vaultURL, name, version string, err error) {
	raw, ok := strings.CutPrefix(ref, KeyVaultScheme+":")
	if !ok {
		return "", "", "", fmt.Errorf("azure: reference %q does not start with %s", ref, KeyVaultScheme+":")
	}
	u, err := url.Parse(raw)
	parts := []string{}
	if err == nil {
		parts = strings.Split(strings.Trim(u.Path, "/"), "/")
	}
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || len(parts) < 2 || len(parts) > 3 || parts[0] != "secrets" || parts[1] == "" {
		return "", "", "", fmt.Errorf("azure: reference %q is not a secret identifier; use %s:https://<vault>.vault.azure.net/secrets/<name>", ref, KeyVaultScheme)
	}
	if len(parts) == 3 {
		version = parts[2]
	}
	// Vault host names are case-insensitive, and one vault gets one client.
	return "https://" + strings.ToLower(u.Host), parts[1], version, nil
}

// Resolve reads the secret that ref names. Errors name the reference, never
// the value.
func (k *KeyVault) Resolve(ctx context.Context, ref string) (string, error) {
	vaultURL, name, version, err := ParseKeyVaultRef(ref)
	if err != nil {
		return "", err
	}
	client, err := k.client(vaultURL)
	if err != nil {
		return "", err
	}
	resp, err := client.GetSecret(ctx, name, version, nil)
	if err != nil {
		return "", classify(err, "read secret %s from %s", name, vaultURL)
	}
	if resp.Value == nil {
		return "", fmt.Errorf("azure: secret %s in %s has no value", name, vaultURL)
	}
	return *resp.Value, nil
}

func (k *KeyVault) client(vaultURL string) (*azsecrets.Client, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if c, ok := k.clients[vaultURL]; ok {
		return c, nil
	}
	target := vaultURL
	if k.vaultURL != nil {
		target = k.vaultURL(vaultURL)
	}
	options := k.options
	c, err := azsecrets.NewClient(target, k.cred, &options)
	if err != nil {
		return nil, fmt.Errorf("azure: build Key Vault client for %s: %w", vaultURL, err)
	}
	k.clients[vaultURL] = c
	return c, nil
}
