package main

import (
	"context"
	"sync"

	"google.golang.org/api/option"

	"github.com/repolink/repolink/shared/cloud"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
)

// gcpAdapters holds the Compute Engine and Secret Manager clients, built on
// first use and shared by every project.
type gcpAdapters struct {
	mu       sync.Mutex
	provider *gcpadapter.Provider
	secrets  *gcpadapter.SecretManager
}

// gcpProvider returns the Compute Engine clients. With a sandbox endpoint
// they send no credentials; otherwise they use Application Default
// Credentials.
func (a *adapters) gcpProvider() (*gcpadapter.Provider, error) {
	a.gcp.mu.Lock()
	defer a.gcp.mu.Unlock()
	if a.gcp.provider != nil {
		return a.gcp.provider, nil
	}
	var opts gcpadapter.Options
	if a.endpoints.GCP != "" {
		opts.Endpoint = a.endpoints.GCP
		opts.ClientOptions = []option.ClientOption{option.WithoutAuthentication()}
	}
	// The clients outlive the step that first needs them, so they are not
	// bound to its context.
	p, err := gcpadapter.New(context.Background(), opts)
	if err != nil {
		return nil, err
	}
	a.gcp.provider = p
	return p, nil
}

// GCP returns the network adapter of a project.
func (a *adapters) GCP(_ context.Context, project string) (cloud.GCPNetwork, error) {
	p, err := a.gcpProvider()
	if err != nil {
		return nil, err
	}
	return p.Network(project), nil
}

// gcpFirewall returns the VPC firewall adapter.
func (a *adapters) gcpFirewall() (cloud.Firewall, error) {
	p, err := a.gcpProvider()
	if err != nil {
		return nil, err
	}
	return p.Firewall(), nil
}

// closeGCP closes the Compute Engine and Secret Manager clients.
func (a *adapters) closeGCP() {
	a.gcp.mu.Lock()
	defer a.gcp.mu.Unlock()
	if a.gcp.provider != nil {
		if err := a.gcp.provider.Close(); err != nil {
			a.logger.Warn("close Compute Engine clients failed", "error", err)
		}
		a.gcp.provider = nil
	}
	if a.gcp.secrets != nil {
		if err := a.gcp.secrets.Close(); err != nil {
			a.logger.Warn("close Secret Manager client failed", "error", err)
		}
		a.gcp.secrets = nil
	}
}

// resolveSecretManager reads a gcp-secretmanager: reference, with the
// sandbox endpoint when there is one.
func (a *adapters) resolveSecretManager(ctx context.Context, ref string) (string, error) {
	a.gcp.mu.Lock()
	manager := a.gcp.secrets
	if manager == nil {
		var opts gcpadapter.Options
		if a.endpoints.GCP != "" {
			opts.Endpoint = a.endpoints.GCP
			opts.ClientOptions = []option.ClientOption{option.WithoutAuthentication()}
		}
		var err error
		if manager, err = gcpadapter.NewSecretManager(context.Background(), opts); err != nil {
			a.gcp.mu.Unlock()
			return "", err
		}
		a.gcp.secrets = manager
	}
	a.gcp.mu.Unlock()
	return manager.Resolve(ctx, ref)
}
