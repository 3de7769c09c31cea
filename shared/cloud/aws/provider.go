// Package aws is the AWS SDK v2 adapter behind cloud.AWSNetwork: EC2 for the
// proxy instance and the VPC endpoint service, Elastic Load Balancing v2 for
// the target group, the network load balancer and its listener. It also
// resolves aws-secretsmanager: credential references.
package aws

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/repolink/repolink/shared/cloud"
)

var _ cloud.AWSNetwork = (*Provider)(nil)

// Retry defaults. A step runs inside a state machine that has its own Retry
// on Throttled and Transient, so the SDK only smooths over short blips:
// three attempts, and a backoff capped well below a Lambda's time budget.
const (
	DefaultMaxAttempts = 3
	DefaultMaxBackoff  = 5 * time.Second
)

// Options configures the AWS clients.
type Options struct {
	// Region is the AWS region, such as "us-west-2". It is required.
	Region string
	// Endpoint overrides the base endpoint of every client, such as
	// "http://127.0.0.1:4566" for the sandbox. Empty means the AWS default.
	Endpoint string
	// Credentials provides the credentials. Nil means the default chain
	// (environment, shared files, role).
	Credentials aws.CredentialsProvider
	// MaxAttempts is the number of SDK attempts per call, the first one
	// included. Zero means DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff caps the delay between SDK attempts. Zero means
	// DefaultMaxBackoff.
	MaxBackoff time.Duration
	// HTTPClient sends the requests. Nil means the SDK's default client.
	HTTPClient aws.HTTPClient
}

// Provider implements cloud.AWSNetwork with the EC2, ELBv2 and Systems
// Manager clients of one region. It is safe for concurrent use.
type Provider struct {
	region string
	ec2    *ec2.Client
	elb    *elbv2.Client
	ssm    *ssmClient
}

// New builds the EC2, ELBv2 and Systems Manager clients for opts.Region.
func New(ctx context.Context, opts Options) (*Provider, error) {
	cfg, err := loadConfig(ctx, opts)
	if err != nil {
		return nil, err
	}

	return &Provider{
		region: opts.Region,
		ec2: ec2.NewFromConfig(cfg, func(o *ec2.Options) {
			if opts.Endpoint != "" {
				o.BaseEndpoint = aws.String(opts.Endpoint)
			}
		}),
		elb: elbv2.NewFromConfig(cfg, func(o *elbv2.Options) {
			if opts.Endpoint != "" {
				o.BaseEndpoint = aws.String(opts.Endpoint)
			}
		}),
		ssm: newSSMClient(cfg, opts.Endpoint),
	}, nil
}

// loadConfig builds the shared SDK configuration with an explicit standard
// retryer.
func loadConfig(ctx context.Context, opts Options) (aws.Config, error) {
	if opts.Region == "" {
		return aws.Config{}, errors.New("aws: missing region: set Options.Region")
	}

	maxAttempts := opts.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	maxBackoff := opts.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = DefaultMaxBackoff
	}

	loadOpts := []func(*config.LoadOptions) error{
		config.WithRegion(opts.Region),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.MaxBackoff = maxBackoff
			})
		}),
	}
	if opts.Credentials != nil {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(opts.Credentials))
	}
	if opts.HTTPClient != nil {
		loadOpts = append(loadOpts, config.WithHTTPClient(opts.HTTPClient))
	}

	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws: load configuration for %s: %w", opts.Region, err)
	}
	// Wrapped after loading, so that settings such as AWS_CA_BUNDLE still
	// reach the SDK's own client.
	cfg.HTTPClient = ReadOnlyBodies(cfg.HTTPClient)
	return cfg, nil
}
