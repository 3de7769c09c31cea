package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/repolink/repolink/shared/cloud"
	azureadapter "github.com/repolink/repolink/shared/cloud/azure"
	"github.com/repolink/repolink/shared/sandbox"
)

// azureEndpoint points the Azure clients at the sandbox; the zero value
// means public Azure with azidentity's default credential.
type azureEndpoint struct {
	// URL is the Resource Manager base URL.
	URL string
	// Roots are the CAs that the front end's certificate chains to.
	Roots *x509.CertPool
	// VaultURL maps the vault URL of an azure-keyvault: reference to the
	// sandbox vault that stands for it.
	VaultURL func(string) string
}

// sandboxAzureEndpoint points the Azure clients at the sandbox's Resource
// Manager and Key Vault.
func sandboxAzureEndpoint(sb *sandbox.Sandbox) azureEndpoint {
	return azureEndpoint{URL: sb.AzureURL(), Roots: sb.Roots(), VaultURL: sb.KeyVaultURL}
}

// azureAdapters caches one Azure network adapter per subscription and the
// firewall adapter.
type azureAdapters struct {
	mu       sync.Mutex
	networks map[string]*azureadapter.Provider
	firewall *azureadapter.Firewall
	vault    *azureadapter.KeyVault
}

// sandboxToken is the bearer token that the sandbox Resource Manager
// accepts; it grants nothing anywhere else.
type sandboxToken struct{}

func (sandboxToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "repolink-sandbox", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func (a *adapters) azureOptions(subscriptionID string) azureadapter.Options {
	opts := azureadapter.Options{SubscriptionID: subscriptionID}
	if ep := a.endpoints.Azure; ep.URL != "" {
		opts.Endpoint = ep.URL
		opts.Credential = sandboxToken{}
		opts.Transport = &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: ep.Roots, MinVersion: tls.VersionTLS12},
		}}
		// The sandbox sends Retry-After-Ms on every poll, which sets the
		// pace; this is only the fallback.
		opts.PollFrequency = time.Second
	}
	return opts
}

// Azure returns the network adapter of a subscription, built on first use.
func (a *adapters) Azure(_ context.Context, subscriptionID string) (cloud.AzureNetwork, error) {
	a.azure.mu.Lock()
	defer a.azure.mu.Unlock()
	if p, ok := a.azure.networks[subscriptionID]; ok {
		return p, nil
	}
	p, err := azureadapter.New(a.azureOptions(subscriptionID))
	if err != nil {
		return nil, err
	}
	if a.azure.networks == nil {
		a.azure.networks = map[string]*azureadapter.Provider{}
	}
	a.azure.networks[subscriptionID] = p
	return p, nil
}

// azureFirewall returns the network security group adapter, built on first
// use.
func (a *adapters) azureFirewall() (cloud.Firewall, error) {
	a.azure.mu.Lock()
	defer a.azure.mu.Unlock()
	if a.azure.firewall != nil {
		return a.azure.firewall, nil
	}
	f, err := azureadapter.NewFirewall(a.azureOptions(""))
	if err != nil {
		return nil, err
	}
	a.azure.firewall = f
	return f, nil
}

// resolveKeyVault reads an azure-keyvault: reference.
func (a *adapters) resolveKeyVault(ctx context.Context, ref string) (string, error) {
	a.azure.mu.Lock()
	vault := a.azure.vault
	if vault == nil {
		var err error
		vault, err = azureadapter.NewKeyVault(a.azureOptions(""), a.endpoints.Azure.VaultURL)
		if err != nil {
			a.azure.mu.Unlock()
			return "", err
		}
		a.azure.vault = vault
	}
	a.azure.mu.Unlock()
	return vault.Resolve(ctx, ref)
}
