// Package preflight checks a package index from where repolink runs,
// before any cloud or Snowflake object exists: the simple API responds at
// the URL given, the credentials work, the certificate is one Snowflake
// accepts for the host it will use, every host that serves the index or
// its files is in the API_ALLOWED_PREFIXES that repolink will create, and
// the requested packages exist.
package preflight

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/repolink/repolink/shared/publicaddr"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// Status is the outcome of one check.
type Status string

// Outcomes of a check. A warning does not stop a run. A skipped check
// checked nothing, because a check or a field that it depends on failed,
// and its Detail names it.
const (
	Passed  Status = "passed"
	Warned  Status = "warned"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Check is the outcome of one check, with what to change when it did not
// pass.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
	// Error is the ASL error name with which the run's preflight step
	// fails for a failed check, and empty for a check that did not fail.
	// The step fails with workflow.ErrInvalidRequest for every failed
	// check of the index, because a redrive with the same request cannot
	// pass it unless the secret's value or the index changes.
	Error string `json:"error,omitempty"`
}

// Report lists the checks in the order they ran, then as Skipped each
// check that did not run because an earlier one failed, such as every
// package check after a credential or TLS failure.
type Report struct {
	IndexURL string  `json:"index_url"`
	Checks   []Check `json:"checks"`
	// Hosts lists every host that a request went to or that a file link
	// named, the index host first.
	Hosts []string `json:"hosts"`
	// Packages lists name==version for every requested package that was
	// downloaded and matched its hash.
	Packages []string `json:"packages"`
	// CredentialExpiresAt is the expiry of a short-lived token, an
	// estimate unless CredentialExpiryExact, or nil when the credential is
	// not known to expire.
	CredentialExpiresAt *time.Time `json:"credential_expires_at,omitempty"`
	// CredentialExpiryExact is true when CredentialExpiresAt is the expiry
	// that the issuer returned with a token that repolink got, not an
	// estimate.
	CredentialExpiryExact bool `json:"credential_expiry_exact,omitempty"`
}

// Failed reports whether any check failed.
func (r Report) Failed() bool {
	return r.Count(Failed) > 0
}

// Count returns the number of checks with the status.
func (r Report) Count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Options configures Run.
type Options struct {
	// HTTP reaches the index. Its transport's DialContext and TLS root CAs
	// are used for the TLS check too; with no root CAs, the system pool
	// is trusted. When nil, DefaultClient is used. Outside sandbox mode,
	// give a client whose transport dials like publicaddr.PrivateTransport,
	// so that neither the index nor a redirect reaches this machine or a
	// metadata service.
	HTTP    *http.Client
	Request request.Request
	// Username and Password are the credential that the SECRET will hold.
	// For a password secret they are sent as basic auth. For a token
	// secret, Password is the whole secret string, sent as Snowflake sends
	// it (Basic base64(string)), and Username is ignored.
	Username, Password string
	// CredentialExpiresAt is the expiry of a token that repolink got for
	// the check itself, for auth type codeartifact.
	CredentialExpiresAt *time.Time
	// Sandbox marks HTTP as trusting the sandbox CA, which then replaces
	// the public CAs that Snowflake trusts.
	Sandbox bool
	Now     func() time.Time
}

// DefaultClient returns a client with the timeout that reaches the index
// outside sandbox mode. It connects to private and public addresses, where
// a company index runs, but not to this machine or a cloud metadata
// service, whether the index URL or a redirect names them.
func DefaultClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: publicaddr.PrivateTransport()}
}

// run is one preflight in progress.
type run struct {
	opts    Options
	report  Report
	index   *url.URL
	host    string
	client  *http.Client
	rec     *recorder
	links   []*url.URL
	started time.Time
}

// Run checks the index that opts.Request names and returns one Check per
// check. It never returns an error: a check that could not run is a
// failed Check with the reason.
func Run(ctx context.Context, opts Options) Report {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTP == nil {
		opts.HTTP = DefaultClient(60 * time.Second)
	}
	r := &run{opts: opts, started: opts.Now()}
	r.report.IndexURL = opts.Request.Repository.IndexURL
	r.report.Hosts = []string{}
	r.report.Packages = []string{}

	if !r.checkIndexURL() {
		r.skipRest()
		return r.report
	}
	r.rec = newRecorder(opts.HTTP.Transport, r.index, r.authorization())
	r.rec.rejectMachineHosts = !opts.Sandbox
	r.client = r.rec.client(opts.HTTP)
	r.addHost(r.index)

	r.checkCredentialTemplate()
	r.checkCredentialLifetime()
	if !r.checkTLS(ctx) {
		r.skipRest()
		return r.report
	}
	if !r.checkIndexRoot(ctx) {
		r.skipRest()
		return r.report
	}
	r.checkPackages(ctx)
	r.checkLinks()
	r.checkHops()
	return r.report
}

// add appends a check. A failed check gets InvalidRequest as its Error,
// as the run's preflight step fails with it.
func (r *run) add(name string, status Status, detail, fix string) {
	check := Check{Name: name, Status: status, Detail: detail, Fix: fix}
	if status == Failed {
		check.Error = workflow.ErrInvalidRequest
	}
	r.report.Checks = append(r.report.Checks, check)
}

// plannedChecks returns the names of the index checks that a run passing
// every check adds, in their order. It leaves out permissions, which is
// added only when it fails.
func (r *run) plannedChecks() []string {
	names := []string{"index_url", "credential_template", "credential_lifetime", "tls_chain", "tls_names", "simple_api", "credentials"}
	for _, requirement := range r.requirements() {
		names = append(names, packageCheck(requirement))
	}
	names = append(names, "file_links", "redirects", "allowed_prefixes")
	if r.opts.Request.AWS != nil {
		names = append(names, "private_path")
	}
	return append(names, "credential_forwarding")
}

// skipRest appends as Skipped each check of plannedChecks that the report
// lacks, naming the last failed check as the reason. Run calls it when a
// failed check stops it.
func (r *run) skipRest() {
	cause := ""
	for _, c := range r.report.Checks {
		if c.Status == Failed {
			cause = c.Name
		}
	}
	for _, name := range r.plannedChecks() {
		if !slices.ContainsFunc(r.report.Checks, func(c Check) bool { return c.Name == name }) {
			r.add(name, Skipped, "not checked: the "+cause+" check failed", "")
		}
	}
}

// addHost appends the host of u to the report once.
func (r *run) addHost(u *url.URL) {
	host := hostOf(u)
	for _, h := range r.report.Hosts {
		if h == host {
			return
		}
	}
	r.report.Hosts = append(r.report.Hosts, host)
}
