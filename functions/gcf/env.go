package gcf

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/shared/cloud"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/snowflake/sessions"
	"github.com/repolink/repolink/shared/workflow"
)

// localRefFix is the change that the sender of a request with an env: or
// file: reference should make.
const localRefFix = "the Cloud Functions deployment reads none, so store the credential in Secret Manager and use gcp-secretmanager:projects/P/secrets/S/versions/V"

// envAllowSecretRefs lists the gcp-secretmanager: references, or prefixes
// of them followed by *, that requests may use. Unset allows every one
// except the signing key.
const envAllowSecretRefs = "REPOLINK_ALLOW_SECRET_REFS"

// allowSecretRefsFix is the change that lets a rejected secret store
// reference through.
const allowSecretRefsFix = "use a reference that the deployment's " + envAllowSecretRefs + " allows, or ask its operator to add the reference there"

// adapters builds and caches the Compute Engine, Secret Manager and
// Snowflake clients for the life of the function instance. It is safe for
// concurrent use.
type adapters struct {
	logger *slog.Logger
	// gcp configures the Google Cloud clients. The zero value means the
	// production endpoints and Application Default Credentials.
	gcp     gcpadapter.Options
	secrets *secrets.Resolver
	// requests are the credential references that requests may use: no
	// env: or file: reference, not the signing key, no secret that
	// authenticates a ticket mapping's deliveries, and no Snowflake
	// credential of a mapping outside $.snowflake.
	requests secrets.AllowList
	stores   stores

	mu        sync.Mutex
	provider  *gcpadapter.Provider
	manager   *gcpadapter.SecretManager
	snowflake *sessions.Cache
}

// stores are the Firestore stores of the deployment, each nil when the
// deployment keeps none, and the signing key of its notifications.
type stores struct {
	waits        workflow.WaitRegistry
	reservations workflow.EndpointReservations
	credentials  workflow.CredentialRegistry
	defaults     workflow.DefaultRegistry
	locations    workflow.LocationRegistry
	// signingSecret is the gcp-secretmanager: reference of the HMAC key
	// that signs notifications, or "" when none is configured. Requests
	// may not reference it.
	signingSecret string
	// secretRefs is the value of REPOLINK_ALLOW_SECRET_REFS.
	secretRefs string
	// mappings are the secrets of the ticket mappings, which requests may
	// not reference either.
	mappings mappingSecrets
}

func newAdapters(logger *slog.Logger, gcp gcpadapter.Options, s stores) *adapters {
	a := &adapters{logger: logger, gcp: gcp, stores: s}
	// The requester of an execution is not the operator, so no env: or
	// file: reference of a request is read from the function instance,
	// and no request may read the signing key or a mapping's delivery
	// secret into its SECRET or send it to its index. Only a file:
	// reference of a mapping can give an error here.
	own := append([]string{s.signingSecret}, s.mappings.auth...)
	allow, ownErr := secrets.AllowList{}.WithOwnSecrets(own)
	allow = allow.WithSnowflakeSecrets(s.mappings.snowflake)
	limited, err := allow.WithStoreRefs(strings.Split(s.secretRefs, ","), allowSecretRefsFix)
	if err != nil {
		logger.Error("secret reference list invalid, so every request with a secret store reference is rejected; "+
			"list gcp-secretmanager: references or prefixes of them followed by *", "setting", envAllowSecretRefs, "error", err)
		limited = allow.WithNoStoreRefs("the deployment's " + envAllowSecretRefs + " is invalid; ask its operator to correct it")
	}
	if err := errors.Join(s.mappings.err, ownErr); err != nil {
		logger.Error("ticket mapping unreadable, so every request with a secret store reference is rejected; "+
			"correct the mapping file", "settings", []string{envJiraMapping, envServiceNowMapping}, "error", err)
		limited = allow.WithNoStoreRefs(mappingFileFix)
	}
	allow = limited
	a.requests = allow
	a.secrets = secrets.NewResolver().Restrict(allow, localRefFix)
	a.secrets.Register(gcpadapter.SecretManagerScheme, secrets.StoreFunc(a.resolveSecretManager))
	a.snowflake = sessions.New(sessions.Options{Secrets: a.secrets})
	return a
}

// env returns the step environment. Google Cloud routes and Snowflake
// steps work. The long wait, the endpoint reservations, the credential
// expiry records, the default repository records and the object location
// records work when a wait registry is configured. AWS and Azure routes,
// and auth type codeartifact, fail with InvalidRequest.
func (a *adapters) env() *workflow.Env {
	env := &workflow.Env{
		Snowflake: a.Snowflake,
		AWS:       unsupportedAWS,
		Azure:     unsupportedAzure,
		GCP:       a.GCP,
		Firewall:  a.Firewall,
		Secrets:   a.secrets,
		Waits:     a.stores.waits,
		Now:       time.Now,
		Logger:    a.logger,

		EndpointReservations: a.stores.reservations,
	}
	// A nil registry stays a nil interface, so that the steps and the
	// poller skip the records.
	if a.stores.credentials != nil {
		env.Credentials = a.stores.credentials
	}
	if a.stores.defaults != nil {
		env.Defaults = a.stores.defaults
	}
	if a.stores.locations != nil {
		env.Locations = a.stores.locations
	}
	return env
}

// newPoller returns the poller of env that completes waits through tasks.
// It checks the credential expiry records only when no other poll is
// checking them, and sends credential_expires_soon notifications when the
// deployment has a signing key. Its warnings give the advice of nextAction,
// because this deployment rejects auth type codeartifact.
func (a *adapters) newPoller(env *workflow.Env, tasks poller.Tasks) *poller.Poller {
	pollEnv := *env
	if claims, ok := env.Credentials.(checkClaims); ok {
		pollEnv.Credentials = pollerCredentials{CredentialRegistry: env.Credentials, claims: claims, now: env.Now, logger: a.logger}
	}
	return &poller.Poller{Env: &pollEnv, Tasks: tasks, Notices: a.credentialNotices(), NextAction: nextAction}
}

// credentialNotices returns the sender of the poller's credential_expires_soon
// notifications, or nil when the deployment keeps no credential expiry
// records or has no signing key, so that the poller only logs its warning.
func (a *adapters) credentialNotices() poller.CredentialNotifier {
	claims, ok := a.stores.credentials.(noticeClaims)
	if !ok {
		return nil
	}
	if a.stores.signingSecret == "" {
		a.logger.Info("no signing key configured, so the poller sends no credential_expires_soon notification",
			"setting", envSigningSecret)
		return nil
	}
	ref := a.stores.signingSecret
	return &credentialNotices{
		claims: claims,
		signingKey: func(ctx context.Context) ([]byte, error) {
			key, err := a.resolveSecretManager(ctx, ref)
			return []byte(key), err
		},
		now:    time.Now,
		logger: a.logger,
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
	p, err := gcpadapter.New(context.Background(), a.gcp)
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
		if manager, err = gcpadapter.NewSecretManager(context.Background(), a.gcp); err != nil {
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
	return a.snowflake.Session(ctx, sf)
}

func unsupportedAWS(context.Context, string) (cloud.AWSNetwork, error) {
	return nil, workflow.Invalid("the Cloud Functions deployment has no AWS adapter; run aws-privatelink requests on the Lambda deployment or with the repolink command")
}

func unsupportedAzure(context.Context, string) (cloud.AzureNetwork, error) {
	return nil, workflow.Invalid("the Cloud Functions deployment has no Azure adapter; run azure-privatelink requests with the repolink command")
}
