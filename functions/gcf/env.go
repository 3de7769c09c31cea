package gcf

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/cloud"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Snowflake timeouts, the same as the Lambda deployment's.
const (
	snowflakeLoginTimeout   = 30 * time.Second
	snowflakeRequestTimeout = 60 * time.Second
)

// adapters builds and caches the Compute Engine, Secret Manager and
// Snowflake clients for the life of the function instance. It is safe for
// concurrent use.
type adapters struct {
	logger  *slog.Logger
	secrets *secrets.Resolver

	mu        sync.Mutex
	provider  *gcpadapter.Provider
	manager   *gcpadapter.SecretManager
	snowflake map[string]*snowflake.Client
}

func newAdapters(logger *slog.Logger) *adapters {
	a := &adapters{logger: logger, snowflake: map[string]*snowflake.Client{}}
	a.secrets = secrets.NewResolver()
	a.secrets.Register(gcpadapter.SecretManagerScheme, secrets.StoreFunc(a.resolveSecretManager))
	return a
}

// env returns the step environment. Google Cloud routes and Snowflake
// steps work. AWS and Azure routes and the long wait, which needs a wait
// registry, fail with InvalidRequest.
func (a *adapters) env() *workflow.Env {
	return &workflow.Env{
		Snowflake: a.Snowflake,
		AWS:       unsupportedAWS,
		Azure:     unsupportedAzure,
		GCP:       a.GCP,
		Firewall:  a.Firewall,
		Secrets:   a.secrets,
		Waits:     noWaits{},
		Now:       time.Now,
		Logger:    a.logger,
	}
}

// computeProvider returns the Compute Engine clients, which use Application
// Default Credentials: the function's service account.
func (a *adapters) computeProvider() (*gcpadapter.Provider, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.provider != nil {
		return a.provider, nil
	}
	// The clients outlive the invocation that first needs them, so they
	// are not bound to its context.
	p, err := gcpadapter.New(context.Background(), gcpadapter.Options{})
	if err != nil {
		return nil, err
	}
	a.provider = p
	return p, nil
}

// GCP returns the network adapter of a project.
func (a *adapters) GCP(_ context.Context, project string) (cloud.GCPNetwork, error) {
	p, err := a.computeProvider()
	if err != nil {
		return nil, err
	}
	return p.Network(project), nil
}

// Firewall returns the VPC firewall adapter for cloudName "gcp".
func (a *adapters) Firewall(_ context.Context, cloudName string) (cloud.Firewall, error) {
	if cloudName != "gcp" {
		return nil, workflow.Invalid("the Cloud Functions deployment has no firewall adapter for %s; run egress-ip requests for %s with the repolink command", cloudName, cloudName)
	}
	p, err := a.computeProvider()
	if err != nil {
		return nil, err
	}
	return p.Firewall(), nil
}

func (a *adapters) resolveSecretManager(ctx context.Context, ref string) (string, error) {
	a.mu.Lock()
	manager := a.manager
	if manager == nil {
		var err error
		if manager, err = gcpadapter.NewSecretManager(context.Background(), gcpadapter.Options{}); err != nil {
			a.mu.Unlock()
			return "", err
		}
		a.manager = manager
	}
	a.mu.Unlock()
	return manager.Resolve(ctx, ref)
}

// Snowflake returns a session for the account, user and role of a request,
// kept for later invocations on the same instance.
func (a *adapters) Snowflake(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error) {
	key := strings.ToLower(sf.Account + "/" + sf.User + "/" + sf.Role)
	a.mu.Lock()
	if c, ok := a.snowflake[key]; ok {
		a.mu.Unlock()
		return c, nil
	}
	a.mu.Unlock()

	cfg, err := a.snowflakeConfig(ctx, sf)
	if err != nil {
		return nil, err
	}
	client, err := snowflake.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	if existing, ok := a.snowflake[key]; ok {
		client.Close()
		return existing, nil
	}
	a.snowflake[key] = client
	return client, nil
}

func (a *adapters) snowflakeConfig(ctx context.Context, sf request.Snowflake) (snowflake.Config, error) {
	cfg := snowflake.Config{
		Account:        sf.Account,
		User:           sf.User,
		Role:           sf.Role,
		Warehouse:      sf.Warehouse,
		Database:       sf.Database,
		Schema:         sf.Schema,
		LoginTimeout:   snowflakeLoginTimeout,
		RequestTimeout: snowflakeRequestTimeout,
	}
	if sf.PrivateKeyRef == "" {
		password, err := a.secrets.Resolve(ctx, sf.PasswordRef)
		if err != nil {
			return cfg, fmt.Errorf("read snowflake.password_ref: %w", err)
		}
		cfg.Password = password
		return cfg, nil
	}

	pem, err := a.secrets.Resolve(ctx, sf.PrivateKeyRef)
	if err != nil {
		return cfg, fmt.Errorf("read snowflake.private_key_ref: %w", err)
	}
	var passphrase string
	if sf.PrivateKeyPassphraseRef != "" {
		if passphrase, err = a.secrets.Resolve(ctx, sf.PrivateKeyPassphraseRef); err != nil {
			return cfg, fmt.Errorf("read snowflake.private_key_passphrase_ref: %w", err)
		}
	}
	key, err := snowflake.ParsePrivateKey([]byte(pem), []byte(passphrase))
	if err != nil {
		return cfg, fmt.Errorf("snowflake.private_key_ref: %w", err)
	}
	cfg.PrivateKey = key
	return cfg, nil
}

func unsupportedAWS(context.Context, string) (cloud.AWSNetwork, error) {
	return nil, workflow.Invalid("the Cloud Functions deployment has no AWS adapter; run aws-privatelink requests on the Lambda deployment or with the repolink command")
}

func unsupportedAzure(context.Context, string) (cloud.AzureNetwork, error) {
	return nil, workflow.Invalid("the Cloud Functions deployment has no Azure adapter; run azure-privatelink requests with the repolink command")
}

// noWaits is the wait registry of a deployment that has none.
//
// TODO: store waits in Firestore or another Google Cloud database, so that
// await_endpoint and a scheduled poller can run on Cloud Functions.
type noWaits struct{}

var errNoWaits = workflow.Invalid("the Cloud Functions deployment has no wait registry, so the long endpoint wait cannot run here")

func (noWaits) Put(context.Context, workflow.Wait) error      { return errNoWaits }
func (noWaits) List(context.Context) ([]workflow.Wait, error) { return nil, errNoWaits }
func (noWaits) Delete(context.Context, string) error          { return errNoWaits }
