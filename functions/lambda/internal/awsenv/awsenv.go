// Package awsenv builds the step environment of the Lambda deployment: the
// AWS network and security group adapters and the CodeArtifact client per
// region, aws-secretsmanager: references, Snowflake sessions, and the
// DynamoDB wait registry, endpoint reservations and credential expiries. It links no Azure or Google Cloud adapter, so
// steps of those routes fail with InvalidRequest.
package awsenv

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/cloud"
	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
	"github.com/repolink/repolink/shared/cloud/aws/clientcache"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/snowflake/sessions"
	"github.com/repolink/repolink/shared/workflow"
)

// LocalRefFix is the change that the sender of a request with an env: or
// file: reference should make.
const LocalRefFix = "the Lambda deployment reads none, so store the credential in AWS Secrets Manager and use aws-secretsmanager:ARN"

// ProxyResolver is the address of the Amazon-provided DNS resolver in every
// VPC. The proxy VM's nginx resolves the upstream with it.
const ProxyResolver = "169.254.169.253"

// Options configures the adapters.
type Options struct {
	// Region is the function's own region, used for Secrets Manager
	// references that give a secret name instead of an ARN.
	Region string
	// AWS holds the options of every AWS client except Region, which is
	// set per call. Tests set Endpoint and Credentials here.
	AWS awsadapter.Options
	// Requests are the credential references that requests may use, from
	// RequestRefs. The zero value rejects env: and file: references but
	// allows every secret of Secrets Manager.
	Requests secrets.AllowList
	Waits    workflow.WaitRegistry
	// EndpointReservations holds places among the private endpoints of
	// Snowflake accounts for preflight and the endpoint step. Nil leaves
	// them to count only the endpoints that Snowflake lists.
	EndpointReservations workflow.EndpointReservations
	// Credentials records when the index credentials in runs' SECRETs
	// expire: the secret step records, the poller renews or warns, and
	// teardown_snowflake deletes. Nil leaves CodeArtifact tokens
	// unrenewed.
	Credentials workflow.CredentialRegistry
	// Defaults records the levels on which the default step sets the
	// default repository parameter, so that a later run and
	// teardown_snowflake unset them. Nil records nothing.
	Defaults workflow.DefaultRegistry
	// Locations is the registry of where the secret and repository steps
	// create their objects, so that teardown_snowflake drops them after
	// the request moved to another schema. Nil records nothing.
	Locations workflow.LocationRegistry
	// CodeArtifactDomains limits the domains that requests of auth type
	// codeartifact get tokens for. Nil allows every domain.
	CodeArtifactDomains *workflow.CodeArtifactDomains
	WaitDeadline        time.Duration
	Now                 func() time.Time
	Logger              *slog.Logger
}

// Adapters builds and caches the clients that steps use, one per region and
// one Snowflake session per login, for the life of the execution
// environment. It is safe for concurrent use.
type Adapters struct {
	opts    Options
	secrets *secrets.Resolver
	// service reads the secrets that the deployment reads for itself,
	// which secrets rejects.
	service   *secrets.Resolver
	aws       *clientcache.Cache
	snowflake *sessions.Cache
}

// New returns adapters that connect on first use.
func New(opts Options) *Adapters {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Adapters{opts: opts}
	a.aws = clientcache.New(a.awsOptions)
	a.service = secrets.NewResolver()
	a.service.Register("aws-secretsmanager", secrets.StoreFunc(a.resolveSecretsManager))
	// The requester of a webhook delivery or a StartExecution call is not
	// the operator, and the function's environment contains its role's AWS
	// keys, so no env: or file: reference is read. Nor is a secret of the
	// deployment itself, which a request could copy into a Snowflake
	// secret or send to its index.
	a.secrets = a.service.Restrict(opts.Requests, LocalRefFix)
	a.snowflake = sessions.New(sessions.Options{Secrets: a.secrets, Logger: opts.Logger})
	return a
}

// Env returns the step environment backed by the adapters.
func (a *Adapters) Env() *workflow.Env {
	return &workflow.Env{
		Snowflake:            a.Snowflake,
		AWS:                  a.AWS,
		Azure:                unsupportedAzure,
		GCP:                  unsupportedGCP,
		Firewall:             a.Firewall,
		Secrets:              a.secrets,
		CodeArtifact:         a.CodeArtifact,
		CodeArtifactDomains:  a.opts.CodeArtifactDomains,
		Waits:                a.opts.Waits,
		EndpointReservations: a.opts.EndpointReservations,
		Credentials:          a.opts.Credentials,
		Defaults:             a.opts.Defaults,
		Locations:            a.opts.Locations,
		ProxyResolver:        ProxyResolver,
		WaitDeadline:         a.opts.WaitDeadline,
		Now:                  a.opts.Now,
		Logger:               a.opts.Logger,
	}
}

// Secrets returns the resolver of request credentials. It reads
// aws-secretsmanager: references, rejects env: and file: ones, and rejects
// the deployment's own secrets with a *secrets.OwnSecretError.
func (a *Adapters) Secrets() *secrets.Resolver { return a.secrets }

// ServiceSecrets returns the resolver of the secrets that the deployment
// reads for itself, such as the webhook's HMAC key. Request credentials
// are never resolved with it.
func (a *Adapters) ServiceSecrets() *secrets.Resolver { return a.service }

// RequestRefs returns the credential references that requests may use in
// the Lambda deployment: no env: or file: reference, and no reference, in
// any spelling, to one of ownSecretARNs, the Secrets Manager secrets that
// the deployment reads for itself. Empty ARNs are skipped.
func RequestRefs(ownSecretARNs ...string) (secrets.AllowList, error) {
	refs := make([]string, 0, len(ownSecretARNs))
	for _, arn := range ownSecretARNs {
		if arn != "" {
			refs = append(refs, awsadapter.SecretRefScheme+arn)
		}
	}
	return secrets.AllowList{}.WithOwnSecrets(refs)
}

func (a *Adapters) awsOptions(region string) awsadapter.Options {
	opts := a.opts.AWS
	opts.Region = region
	return opts
}

// AWS returns the network adapter of a region.
func (a *Adapters) AWS(ctx context.Context, region string) (cloud.AWSNetwork, error) {
	return a.aws.Provider(ctx, region)
}

// CodeArtifact returns the CodeArtifact client of a region, for requests of
// auth type codeartifact. Like the other AWS clients, it uses Options.AWS,
// and the SDK reads AWS_ENDPOINT_URL_CODEARTIFACT or AWS_ENDPOINT_URL when
// no Endpoint is set there.
func (a *Adapters) CodeArtifact(ctx context.Context, region string) (workflow.TokenIssuer, error) {
	client, err := a.aws.CodeArtifact(ctx, region)
	if err != nil {
		return nil, err
	}
	return client, nil
}

// Firewall returns the security group adapter for cloudName "aws". The
// Lambda deployment has no firewall adapter for the other clouds.
func (a *Adapters) Firewall(_ context.Context, cloudName string) (cloud.Firewall, error) {
	if cloudName != "aws" {
		return nil, workflow.Invalid("%s", noFirewallAdapter(cloudName))
	}
	return awsadapter.NewFirewall(a.aws.Provider), nil
}

// resolveSecretsManager reads an aws-secretsmanager: reference with a client
// for the region in the secret's ARN, or the function's region for a name.
func (a *Adapters) resolveSecretsManager(ctx context.Context, ref string) (string, error) {
	region := clientcache.RegionOfARN(strings.TrimPrefix(ref, awsadapter.SecretRefScheme))
	if region == "" {
		region = a.opts.Region
	}
	if region == "" {
		return "", workflow.Invalid("aws: secret reference %s names no region and AWS_REGION is not set; use the secret's full ARN", ref)
	}

	manager, err := a.aws.SecretsManager(ctx, region)
	if err != nil {
		return "", err
	}
	return manager.Resolve(ctx, ref)
}

// Snowflake returns a session for the account, user and role of a request.
// It reads the private key or password from its reference on first use and
// keeps the session for later invocations in the same execution
// environment.
func (a *Adapters) Snowflake(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error) {
	return a.snowflake.Session(ctx, sf)
}

// Close closes every Snowflake session.
func (a *Adapters) Close() {
	if err := a.snowflake.Close(); err != nil {
		a.opts.Logger.Warn("close snowflake session failed", "error", err)
	}
}

// Messages of the routes that the Lambda deployment cannot run, because it
// links no Azure or Google Cloud adapter.
const (
	noAzureAdapter = "the Lambda deployment has no Azure adapter; run azure-privatelink requests with the repolink command"
	noGCPAdapter   = "the Lambda deployment has no Google Cloud adapter; run gcp-privatelink requests with the repolink command"
)

// UnsupportedRoute returns the field error of a request that the Lambda
// deployment cannot run: route azure-privatelink or gcp-privatelink, or
// route egress-ip with an egress.cloud other than aws. It returns nil for
// every other request. It reads only the request document, so the webhook
// and the preflight step reject such a request before they read a secret
// or log in to Snowflake.
func UnsupportedRoute(req request.Request) *request.FieldError {
	switch req.Route {
	case request.RouteAzurePrivateLink:
		return &request.FieldError{Path: "$.route", Message: noAzureAdapter}
	case request.RouteGCPPrivateLink:
		return &request.FieldError{Path: "$.route", Message: noGCPAdapter}
	case request.RouteEgressIP:
		if req.Egress != nil && req.Egress.Cloud != "aws" {
			return &request.FieldError{Path: "$.egress.cloud", Message: noFirewallAdapter(req.Egress.Cloud)}
		}
	}
	return nil
}

func noFirewallAdapter(cloudName string) string {
	return fmt.Sprintf("the Lambda deployment has no firewall adapter for %s; run egress-ip requests for %s with the repolink command", cloudName, cloudName)
}

func unsupportedAzure(context.Context, string) (cloud.AzureNetwork, error) {
	return nil, workflow.Invalid("%s", noAzureAdapter)
}

func unsupportedGCP(context.Context, string) (cloud.GCPNetwork, error) {
	return nil, workflow.Invalid("%s", noGCPAdapter)
}
