// Package clientcache caches the AWS network adapter, the Secrets Manager
// client and the CodeArtifact client of each region, built on first use.
// repolink up and the Lambda deployment both build their step adapters on
// it, each with its own client options.
package clientcache

import (
	"context"
	"strings"
	"sync"

	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
)

// Cache is a set of one network adapter and one Secrets Manager client per
// region. It is safe for concurrent use.
type Cache struct {
	options func(region string) awsadapter.Options

	mu        sync.Mutex
	providers map[string]*awsadapter.Provider
	managers  map[string]*awsadapter.SecretsManager
	artifacts map[string]*awsadapter.CodeArtifact
}

// New returns an empty cache that builds the clients of a region with the
// options that options returns for it.
func New(options func(region string) awsadapter.Options) *Cache {
	return &Cache{
		options:   options,
		providers: map[string]*awsadapter.Provider{},
		managers:  map[string]*awsadapter.SecretsManager{},
		artifacts: map[string]*awsadapter.CodeArtifact{},
	}
}

// Provider returns the network adapter of a region.
func (c *Cache) Provider(ctx context.Context, region string) (*awsadapter.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.providers[region]; ok {
		return p, nil
	}
	p, err := awsadapter.New(ctx, c.options(region))
	if err != nil {
		return nil, err
	}
	c.providers[region] = p
	return p, nil
}

// SecretsManager returns the Secrets Manager client of a region.
func (c *Cache) SecretsManager(ctx context.Context, region string) (*awsadapter.SecretsManager, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.managers[region]; ok {
		return m, nil
	}
	m, err := awsadapter.NewSecretsManager(ctx, c.options(region))
	if err != nil {
		return nil, err
	}
	c.managers[region] = m
	return m, nil
}

// CodeArtifact returns the CodeArtifact client of a region.
func (c *Cache) CodeArtifact(ctx context.Context, region string) (*awsadapter.CodeArtifact, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.artifacts[region]; ok {
		return a, nil
	}
	a, err := awsadapter.NewCodeArtifact(ctx, c.options(region))
	if err != nil {
		return nil, err
	}
	c.artifacts[region] = a
	return a, nil
}

// RegionOfARN returns the region field of an ARN, or "" when arn is not an
// ARN.
func RegionOfARN(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}
