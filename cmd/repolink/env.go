package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/repolink/repolink/shared/cloud"
	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
	"github.com/repolink/repolink/shared/cloud/aws/clientcache"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/snowflake/sessions"
	"github.com/repolink/repolink/shared/workflow"
)

// endpoints overrides where the adapters connect; the zero value means the
// real services.
type endpoints struct {
	// AWS is the base endpoint of the EC2, ELBv2, Secrets Manager and
	// CodeArtifact clients.
	AWS string
	// SnowflakeHost, SnowflakePort and SnowflakeProtocol replace the
	// address derived from the account.
	SnowflakeHost     string
	SnowflakePort     int
	SnowflakeProtocol string
	// Static credentials for the AWS clients; used by the sandbox, which
	// accepts any signed request.
	AWSAccessKey, AWSSecretKey string
	// Azure points the Azure clients at the sandbox Resource Manager.
	Azure azureEndpoint
	// GCP is the Compute Engine endpoint of the sandbox, such as
	// http://127.0.0.1:40123.
	GCP string
}

// awsRequestTimeout bounds one AWS API call, retries excluded.
const awsRequestTimeout = 30 * time.Second

// adapters builds and caches the cloud and Snowflake clients that the steps
// use, one per region and one per Snowflake login.
type adapters struct {
	endpoints endpoints
	// secrets resolves the references of the operator's configuration,
	// such as --webhook-secret-ref and the mapping files.
	secrets *secrets.Resolver
	// requestSecrets resolves the credential references of requests. It is
	// secrets itself unless the runtime limits env: and file: references.
	requestSecrets *secrets.Resolver
	logger         *slog.Logger
	aws            *clientcache.Cache
	snowflake      *sessions.Cache
	azure          azureAdapters
	gcp            gcpAdapters
}

// newAdapters returns the adapters. A non-nil localRefs limits the env: and
// file: references of requests to those it allows.
func newAdapters(eps endpoints, localRefs *secrets.AllowList, logger *slog.Logger) *adapters {
	a := &adapters{
		endpoints: eps,
		logger:    logger,
	}
	a.aws = clientcache.New(a.awsOptions)
	a.secrets = secrets.NewResolver()
	a.secrets.Register("aws-secretsmanager", secrets.StoreFunc(a.resolveSecretsManager))
	a.secrets.Register("azure-keyvault", secrets.StoreFunc(a.resolveKeyVault))
	a.secrets.Register("gcp-secretmanager", secrets.StoreFunc(a.resolveSecretManager))
	a.requestSecrets = a.secrets
	if localRefs != nil {
		a.requestSecrets = a.secrets.Restrict(*localRefs, localRefFix)
	}
	a.snowflake = sessions.New(sessions.Options{
		Secrets:  a.requestSecrets,
		Host:     eps.SnowflakeHost,
		Port:     eps.SnowflakePort,
		Protocol: eps.SnowflakeProtocol,
	})
	return a
}

func (a *adapters) awsOptions(region string) awsadapter.Options {
	// A hung endpoint must fail the call, so that the state machine's
	// Transient retry takes over, rather than hold the step forever.
	opts := awsadapter.Options{
		Region:     region,
		Endpoint:   a.endpoints.AWS,
		HTTPClient: awshttp.NewBuildableClient().WithTimeout(awsRequestTimeout),
	}
	if a.endpoints.AWSAccessKey != "" {
		opts.Credentials = staticCredentials(a.endpoints.AWSAccessKey, a.endpoints.AWSSecretKey)
	}
	return opts
}

// AWS returns the network adapter of a region.
func (a *adapters) AWS(ctx context.Context, region string) (cloud.AWSNetwork, error) {
	p, err := a.aws.Provider(ctx, region)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// CodeArtifact returns the CodeArtifact client of a region, for requests of
// auth type codeartifact.
func (a *adapters) CodeArtifact(ctx context.Context, region string) (workflow.TokenIssuer, error) {
	client, err := a.aws.CodeArtifact(ctx, region)
	if err != nil {
		return nil, err
	}
	return client, nil
}

// Firewall returns the firewall adapter of a cloud.
func (a *adapters) Firewall(_ context.Context, cloudName string) (cloud.Firewall, error) {
	switch cloudName {
	case "aws":
		return awsadapter.NewFirewall(a.aws.Provider), nil
	case "azure":
		return a.azureFirewall()
	case "gcp":
		return a.gcpFirewall()
	}
	return nil, workflow.Invalid("$.egress.cloud %q has no firewall adapter in this build", cloudName)
}

// resolveSecretsManager reads an aws-secretsmanager: reference with a client
// for the region named in the secret's ARN.
func (a *adapters) resolveSecretsManager(ctx context.Context, ref string) (string, error) {
	region := clientcache.RegionOfARN(strings.TrimPrefix(ref, "aws-secretsmanager:"))
	if region == "" {
		return "", fmt.Errorf("reference must be a secret ARN, such as aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:name")
	}
	manager, err := a.aws.SecretsManager(ctx, region)
	if err != nil {
		return "", err
	}
	return manager.Resolve(ctx, ref)
}

// Snowflake returns a session for the account, user and role of a request,
// reading the private key or password from its reference on first use.
func (a *adapters) Snowflake(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error) {
	return a.snowflake.Session(ctx, sf)
}

// snowflakeCloseTimeout bounds the closing of all Snowflake sessions
// together, so that repolink up stops well inside a 30 s grace period, the
// default terminationGracePeriodSeconds of a Kubernetes pod. Each close is
// a logout of one HTTP round trip, and the sessions close in parallel.
const snowflakeCloseTimeout = 5 * time.Second

// Close closes every Snowflake session, giving them snowflakeCloseTimeout
// in all. It logs the sessions not closed by then, which the process
// leaves to expire on the Snowflake side.
func (a *adapters) Close() {
	a.closeGCP()
	ctx, cancel := context.WithTimeout(context.Background(), snowflakeCloseTimeout)
	defer cancel()
	a.logCloseError(a.snowflake.CloseContext(ctx))
}

// logCloseError logs the error of closing the Snowflake sessions, naming
// the sessions not closed in time.
func (a *adapters) logCloseError(err error) {
	if err == nil || a.logger == nil {
		return
	}
	var notClosed *sessions.NotClosedError
	if errors.As(err, &notClosed) {
		a.logger.Warn("snowflake sessions not closed in time", "logins", notClosed.Logins,
			"timeout", snowflakeCloseTimeout.String(), "error", err)
		return
	}
	a.logger.Warn("close snowflake session failed", "error", err)
}
