// Package integration creates the API INTEGRATION that lets Snowflake reach
// the index host with the repository secret.
package integration

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the integration's name and what the step did.
type Output = workflow.Result

// Run adopts the integration when it exists and otherwise creates it with
// API_PROVIDER = ARTIFACT_REPOSITORY_API, the index origin and any extra
// prefixes in API_ALLOWED_PREFIXES, the secret in
// ALLOWED_AUTHENTICATION_SECRETS, and USE_PRIVATELINK_ENDPOINT = TRUE on the
// private-link routes.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	names := workflow.NamesFor(req)
	conn, err := env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		return Output{}, err
	}
	existing, err := sfobject.Find(ctx, conn, "API INTEGRATIONS", names.Integration, "")
	if err != nil {
		return Output{}, err
	}
	if existing != nil {
		if err := sfobject.CheckOwner("API integration", snowflake.StoredName(names.Integration), existing, req.ID); err != nil {
			return Output{}, err
		}
		// NOTE: the integration is adopted without comparing its
		// API_ALLOWED_PREFIXES, secrets or USE_PRIVATELINK_ENDPOINT with the
		// request, because SHOW API INTEGRATIONS does not list them.
		return Output{Action: workflow.Adopted, ID: snowflake.StoredName(names.Integration)}, nil
	}

	prefixes, err := AllowedPrefixes(req.Repository.IndexURL, req.Repository.ExtraAllowedPrefixes)
	if err != nil {
		return Output{}, err
	}
	secret := sfobject.Qualified(req.Snowflake, names.Secret)
	privateLink := strings.HasSuffix(string(req.Route), "-privatelink")
	stmt := snowflake.CreateAPIIntegration(names.Integration, prefixes, []string{secret}, privateLink)
	if err := conn.Exec(ctx, sfobject.WithOwner(stmt, req.ID)); err != nil {
		return Output{}, fmt.Errorf("create API integration %s: %w", names.Integration, err)
	}
	return Output{Action: workflow.Created, ID: snowflake.StoredName(names.Integration)}, nil
}

// AllowedPrefixes returns the origin of the index URL followed by the extra
// prefixes, without duplicates.
func AllowedPrefixes(indexURL string, extra []string) ([]string, error) {
	u, err := url.Parse(indexURL)
	if err != nil || u.Host == "" {
		return nil, workflow.Invalid("repository.index_url has no host; use https://host/path/simple/")
	}
	prefixes := []string{"https://" + strings.ToLower(u.Host)}
	for _, p := range extra {
		p = strings.TrimRight(p, "/")
		if !containsFold(prefixes, p) {
			prefixes = append(prefixes, p)
		}
	}
	return prefixes, nil
}

func containsFold(list []string, s string) bool {
	for _, item := range list {
		if strings.EqualFold(item, s) {
			return true
		}
	}
	return false
}
