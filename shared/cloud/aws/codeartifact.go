package aws

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"

	"github.com/repolink/repolink/shared/workflow"
)

// CodeArtifact gets CodeArtifact authorization tokens in one region. It is
// safe for concurrent use.
type CodeArtifact struct {
	region string
	client *codeartifact.Client
}

var _ workflow.TokenIssuer = (*CodeArtifact)(nil)

// NewCodeArtifact builds a CodeArtifact client from the same options as New.
func NewCodeArtifact(ctx context.Context, opts Options) (*CodeArtifact, error) {
	cfg, err := loadConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &CodeArtifact{
		region: opts.Region,
		client: codeartifact.NewFromConfig(cfg, func(o *codeartifact.Options) {
			if opts.Endpoint != "" {
				o.BaseEndpoint = aws.String(opts.Endpoint)
			}
		}),
	}, nil
}

// AuthorizationToken calls GetAuthorizationToken for the domain. The caller
// needs codeartifact:GetAuthorizationToken on the domain and
// sts:GetServiceBearerToken. Errors name the domain, never the token.
func (c *CodeArtifact) AuthorizationToken(ctx context.Context, domain, owner string, duration time.Duration) (workflow.IndexToken, error) {
	out, err := c.client.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{
		Domain:          aws.String(domain),
		DomainOwner:     aws.String(owner),
		DurationSeconds: aws.Int64(int64(duration / time.Second)),
	})
	switch apiCode(err) {
	case "ResourceNotFoundException":
		return workflow.IndexToken{}, workflow.Invalid("aws: CodeArtifact domain %s of account %s not found in region %s: check $.repository.index_url", domain, owner, c.region)
	case "ValidationException":
		return workflow.IndexToken{}, workflow.Invalid("aws: get a CodeArtifact token for domain %s in region %s: %s", domain, c.region, describe(err))
	}
	if err != nil {
		return workflow.IndexToken{}, classify(err, c.region, "get a CodeArtifact token for domain %s of account %s", domain, owner)
	}
	if out.AuthorizationToken == nil || *out.AuthorizationToken == "" || out.Expiration == nil {
		return workflow.IndexToken{}, workflow.Invalid("aws: CodeArtifact returned no token or no expiration for domain %s in region %s", domain, c.region)
	}
	return workflow.IndexToken{Value: *out.AuthorizationToken, ExpiresAt: out.Expiration.UTC()}, nil
}
