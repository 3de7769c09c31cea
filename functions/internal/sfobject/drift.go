package sfobject

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Drift is one setting of an existing object that differs from what the
// request expects.
type Drift struct {
	// Setting is the SQL property, such as API_ALLOWED_PREFIXES.
	Setting  string
	Existing string
	Expected string
}

func (d Drift) String() string {
	return fmt.Sprintf("%s is %s, the request expects %s", d.Setting, d.Existing, d.Expected)
}

// replaceOnly are the settings that no documented ALTER statement changes,
// so that an object that differs in them is replaced.
var replaceOnly = []string{"API_PROVIDER", "USE_PRIVATELINK_ENDPOINT", "TYPE", "API_INTEGRATION"}

// NeedsReplace reports whether a drift is in a setting that only CREATE OR
// REPLACE changes.
func NeedsReplace(drifts []Drift) bool {
	return slices.ContainsFunc(drifts, func(d Drift) bool { return slices.Contains(replaceOnly, d.Setting) })
}

// IntegrationSpec is the set of API integration settings that a request expects.
type IntegrationSpec struct {
	// Prefixes are the API_ALLOWED_PREFIXES: the index origin, then the
	// extra prefixes.
	Prefixes []string
	// Secrets are the ALLOWED_AUTHENTICATION_SECRETS, rendered by Qualified.
	Secrets     []string
	PrivateLink bool
}

// ExpectedIntegration returns the settings of req's API integration.
func ExpectedIntegration(req request.Request) (IntegrationSpec, error) {
	prefixes, err := AllowedPrefixes(req.Repository.IndexURL, req.Repository.ExtraAllowedPrefixes)
	if err != nil {
		return IntegrationSpec{}, err
	}
	secret := Qualified(req.Snowflake, workflow.NamesFor(req).Secret)
	return IntegrationSpec{
		Prefixes:    prefixes,
		Secrets:     []string{secret},
		PrivateLink: strings.HasSuffix(string(req.Route), "-privatelink"),
	}, nil
}

// AllowedPrefixes returns the origin of the index URL followed by the extra
// prefixes, without duplicates.
func AllowedPrefixes(indexURL string, extra []string) ([]string, error) {
	u, err := url.Parse(indexURL)
	if err != nil || u.Host == "" {
		return nil, workflow.Invalid("$.repository.index_url has no host; use https://host/path/simple/")
	}
	prefixes := []string{"https://" + strings.ToLower(u.Host)}
	for _, p := range extra {
		p = strings.TrimRight(p, "/")
		if !slices.ContainsFunc(prefixes, func(q string) bool { return strings.EqualFold(q, p) }) {
			prefixes = append(prefixes, p)
		}
	}
	return prefixes, nil
}

// IntegrationDrift reads the API integration name with DESCRIBE API
// INTEGRATION and returns the settings that differ from spec: the
// provider, the allowed prefixes and secrets, the private endpoint and
// ENABLED. These decide which hosts Snowflake fetches packages from and
// with which credential.
//
// NOTE: Snowflake documents the DESCRIBE INTEGRATION columns but not the
// rows of an ARTIFACT_REPOSITORY_API integration. The property names are
// those of its CREATE parameters, and lists are read as comma-separated
// values, optionally in brackets, as git_https_api integrations print them.
func IntegrationDrift(ctx context.Context, conn snowflake.Conn, name string, spec IntegrationSpec) ([]Drift, error) {
	rows, err := conn.Query(ctx, snowflake.DescribeAPIIntegration(name))
	if err != nil {
		return nil, fmt.Errorf("describe API integration %s: %w", snowflake.StoredName(name), err)
	}
	props := map[string]string{}
	for _, row := range rows {
		props[strings.ToUpper(row["property"])] = row["property_value"]
	}

	var drifts []Drift
	if got := props["API_PROVIDER"]; !strings.EqualFold(got, "ARTIFACT_REPOSITORY_API") {
		drifts = append(drifts, Drift{"API_PROVIDER", orNone(got), "ARTIFACT_REPOSITORY_API"})
	}
	if got := parseList(props["API_ALLOWED_PREFIXES"]); !sameSet(got, spec.Prefixes, samePrefix) {
		drifts = append(drifts, Drift{"API_ALLOWED_PREFIXES", listText(got), listText(spec.Prefixes)})
	}
	if got := parseList(props["ALLOWED_AUTHENTICATION_SECRETS"]); !sameSet(got, spec.Secrets, sameQualifiedName) {
		drifts = append(drifts, Drift{"ALLOWED_AUTHENTICATION_SECRETS", listText(got), listText(spec.Secrets)})
	}
	if got := strings.EqualFold(props["USE_PRIVATELINK_ENDPOINT"], "true"); got != spec.PrivateLink {
		drifts = append(drifts, Drift{"USE_PRIVATELINK_ENDPOINT", boolText(got), boolText(spec.PrivateLink)})
	}
	if got := props["ENABLED"]; !strings.EqualFold(got, "true") {
		drifts = append(drifts, Drift{"ENABLED", orNone(strings.ToUpper(got)), "TRUE"})
	}
	return drifts, nil
}

// RepositoryDrift compares the SHOW ARTIFACT REPOSITORIES row of an
// existing repository with the request's TYPE = PYPI and integration.
//
// NOTE: no documented output shows a repository's INDEX_URL or
// AUTHENTICATION_SECRET, so they are not compared. The integration's
// API_ALLOWED_PREFIXES, which IntegrationDrift compares, still bound the
// hosts that the index URL can name.
func RepositoryDrift(row snowflake.Row, integration string) []Drift {
	var drifts []Drift
	if got := row["type"]; !strings.EqualFold(got, "PYPI") {
		drifts = append(drifts, Drift{"TYPE", orNone(got), "PYPI"})
	}
	if got := strings.Trim(row["api_integration"], `"`); got != snowflake.StoredName(integration) {
		drifts = append(drifts, Drift{"API_INTEGRATION", orNone(got), snowflake.StoredName(integration)})
	}
	return drifts
}

// DriftText joins the descriptions of drifts with semicolons.
func DriftText(drifts []Drift) string {
	texts := make([]string, len(drifts))
	for i, d := range drifts {
		texts[i] = d.String()
	}
	return strings.Join(texts, "; ")
}

// DriftConflict returns the Conflict error for an object that repolink did
// not create for this request and that differs from it.
func DriftConflict(noun, name string, drifts []Drift) error {
	return workflow.Errorf(workflow.ErrConflict,
		"%s %s exists and differs from the request: %s; it was not created by repolink for this request, so change these settings on it yourself, drop it, or give this request another $.repository.name",
		noun, name, DriftText(drifts))
}

// Drift returns the settings of the existing object of row that differ from
// req. A secret has no settings to compare, because Snowflake does not show
// its value.
func (o Object) Drift(ctx context.Context, conn snowflake.Conn, row snowflake.Row, req request.Request) ([]Drift, error) {
	switch o.Step {
	case "integration":
		spec, err := ExpectedIntegration(req)
		if err != nil {
			return nil, err
		}
		return IntegrationDrift(ctx, conn, o.Name, spec)
	case "repository":
		return RepositoryDrift(row, workflow.NamesFor(req).Integration), nil
	}
	return nil, nil
}

// CheckDrift returns a Conflict error when the existing object of row
// differs from req and was not created for req, which a run does not
// change. The steps bring an object created for req in line instead.
func (o Object) CheckDrift(ctx context.Context, conn snowflake.Conn, row snowflake.Row, req request.Request) error {
	if Owner(row) == req.ID {
		return nil
	}
	drifts, err := o.Drift(ctx, conn, row, req)
	if err != nil || len(drifts) == 0 {
		return err
	}
	return o.DriftConflict(drifts)
}

// DriftConflict returns the Conflict error with which preflight stops a run
// for the object when it differs from the request by drifts. Plan reports
// the same text.
func (o Object) DriftConflict(drifts []Drift) error {
	return DriftConflict(o.Noun, o.DisplayName(), drifts)
}

// DisplayName returns the name that messages use for the object: the
// qualified name for a schema object, the stored name for an account-level
// one such as an API integration.
func (o Object) DisplayName() string {
	if o.Scope == "" {
		return snowflake.StoredName(o.Name)
	}
	return strings.TrimPrefix(o.Scope, "IN SCHEMA ") + "." + snowflake.Ident(o.Name)
}

// parseList splits a DESCRIBE list value such as "a,b" or "[a, b]".
func parseList(value string) []string {
	value = strings.TrimSpace(value)
	value = strings.TrimSuffix(strings.TrimPrefix(value, "["), "]")
	if strings.TrimSpace(value) == "" {
		return nil
	}
	var out []string
	for _, item := range strings.Split(value, ",") {
		out = append(out, strings.Trim(strings.TrimSpace(item), "'"))
	}
	return out
}

// sameSet reports whether got and want contain the same items under same,
// in any order.
func sameSet(got, want []string, same func(a, b string) bool) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return same(g, w) }) {
			return false
		}
	}
	for _, g := range got {
		if !slices.ContainsFunc(want, func(w string) bool { return same(g, w) }) {
			return false
		}
	}
	return true
}

// samePrefix compares URL prefixes without a trailing slash and ignoring
// case, as hosts are.
//
// NOTE: this also ignores case in the path, which a server may not.
func samePrefix(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}

// sameQualifiedName compares a secret name from DESCRIBE with one rendered
// by Qualified. DESCRIBE may print plain names without the quotes that
// Qualified adds to other names.
func sameQualifiedName(described, qualified string) bool {
	if described == qualified {
		return true
	}
	return strings.ReplaceAll(described, `"`, "") == strings.ReplaceAll(qualified, `"`, "")
}

func listText(items []string) string {
	if len(items) == 0 {
		return "()"
	}
	return "(" + strings.Join(items, ", ") + ")"
}

func boolText(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

func orNone(s string) string {
	if s == "" {
		return "(not set)"
	}
	return s
}
