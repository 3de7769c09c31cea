// Package workflow defines the document that the provision state machine
// passes from step to step, the step results kept in it, and the error names
// that steps return.
package workflow

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/repolink/repolink/shared/request"
)

// Document is the state of one provision run: the request and what the steps
// have built so far. It holds names, IDs and ARNs only, never a credential.
type Document struct {
	Request   request.Request `json:"request"`
	Resources Resources       `json:"resources"`
	// Execution and Token are set only in a task's input, from the context
	// object: the execution name and, for a callback task, its task token.
	Execution string `json:"execution,omitempty"`
	Token     string `json:"token,omitempty"`
}

// UnmarshalJSON decodes a document and fills the defaults of its request, as
// request.Parse does. A schedule or a StartExecution call may pass the
// request as written in its file, without the optional fields, and every
// step and reader of an execution's input then gets the same request as
// from repolink run. A document without a request at $.request keeps a
// zero request.
func (d *Document) UnmarshalJSON(data []byte) error {
	type plain Document
	decoded := plain(*d)
	if err := json.Unmarshal(data, &decoded); err != nil {
		return err
	}
	*d = Document(decoded)

	var raw struct {
		Request json.RawMessage `json:"request"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if len(raw.Request) > 0 && !bytes.Equal(raw.Request, []byte("null")) {
		d.Request.ApplyDefaults()
	}
	return nil
}

// Actions that a step reports for the resource it manages.
const (
	Created = "created"
	Adopted = "adopted"
	Updated = "updated"
	Checked = "checked"
	Skipped = "skipped"
	// Deleted is what a teardown step reports when it removed its resource.
	Deleted = "deleted"
	// Kept is what a teardown step reports when it left a resource of the
	// request in place because something else still uses it.
	Kept = "kept"
)

// Result is what every step reports: what it did and the main resource ID.
type Result struct {
	Action string `json:"action"`
	ID     string `json:"id"`
	// Reason is the cause for which a teardown step kept the resource, or
	// for which a step skipped it and so has no ID.
	Reason string `json:"reason,omitempty"`
	// Related are the further resources that the step created, adopted,
	// updated or deleted along with ID, each with its own action, such as
	// the second firewall rule of a Google Cloud route. Counts of actions
	// still count each step once.
	Related []Result `json:"related,omitempty"`
}

// Default is the outcome of the default repository step.
type Default struct {
	Result
	// Notes name what the step changed that a person may want back, such
	// as a value that an earlier run replaced on a level that the step
	// has now unset.
	Notes []string `json:"notes,omitempty"`
}

// Resources holds one entry per step, under the key the state machine
// writes with ResultPath ($.resources.<step>).
type Resources struct {
	Preflight       *Preflight       `json:"preflight,omitempty"`
	ProxyVM         *ProxyVM         `json:"proxy_vm,omitempty"`
	TargetGroup     *TargetGroup     `json:"target_group,omitempty"`
	LoadBalancer    *LoadBalancer    `json:"load_balancer,omitempty"`
	EndpointService *EndpointService `json:"endpoint_service,omitempty"`
	Endpoint        *Endpoint        `json:"endpoint,omitempty"`
	Connection      *Connection      `json:"connection,omitempty"`
	EndpointLive    *EndpointLive    `json:"endpoint_live,omitempty"`
	Secret          *Secret          `json:"secret,omitempty"`
	Integration     *Result          `json:"integration,omitempty"`
	Repository      *Result          `json:"repository,omitempty"`
	Default         *Default         `json:"default,omitempty"`
	Grants          *Grants          `json:"grants,omitempty"`
	Verification    *Verification    `json:"verification,omitempty"`
	EgressRanges    *EgressRanges    `json:"egress_ranges,omitempty"`
}

// Preflight is the outcome of the repository checks.
type Preflight struct {
	Result
	Packages []string `json:"packages"`
	// CredentialExpiresAt is the estimated expiry of a short-lived index
	// credential, such as a CodeArtifact token.
	CredentialExpiresAt *time.Time `json:"credential_expires_at,omitempty"`
	// Warnings are the checks that warned. They did not stop the run, but
	// each names something to change, such as a credential that expires
	// within hours.
	Warnings []Warning `json:"warnings,omitempty"`
}

// Warning is a preflight check that warned, with what to change. Its
// detail names no credential value.
type Warning struct {
	Check  string `json:"check"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Secret is the SECRET that holds the index credential.
type Secret struct {
	Result
	// CredentialExpiresAt is when the credential in the secret expires: the
	// real expiry of a token that repolink got from CodeArtifact, or an
	// estimate for another short-lived token. Nil for other credentials and
	// for an adopted secret.
	CredentialExpiresAt *time.Time `json:"credential_expires_at,omitempty"`
}

// ProxyVM is the instance that runs the TLS-passthrough proxy.
type ProxyVM struct {
	Result
	PrivateIP string `json:"private_ip,omitempty"`
}

// TargetGroup is the TCP 443 target group with the proxy registered. It
// has no health field, because a group that no listener uses reports its
// targets as unused. LoadBalancer.HealthyTarget records the checked health.
type TargetGroup struct {
	Result
}

// LoadBalancer is the internal network load balancer and its listener.
type LoadBalancer struct {
	Result
	ListenerARN string `json:"listener_arn"`
	DNSName     string `json:"dns_name,omitempty"`
	// HealthyTarget is the target, as ID:port, that the target group's
	// health check reported healthy when the load_balancer step of the
	// aws-privatelink route finished. The step waits until one is, so it
	// is set whenever the step succeeded. Azure and GCP leave it empty.
	HealthyTarget string `json:"healthy_target,omitempty"`
}

// EndpointService is the VPC endpoint service with Snowflake's principal
// allowed.
type EndpointService struct {
	Result
	ServiceName string `json:"service_name"`
	Principal   string `json:"principal"`
}

// Endpoint is the Snowflake private endpoint for the repository host.
type Endpoint struct {
	Result
	Host   string `json:"host"`
	Status string `json:"status"`
}

// Connection is the accepted endpoint connection on the provider side.
type Connection struct {
	Result
	State string `json:"state"`
}

// EndpointLive is what the poller reports once Snowflake shows the endpoint
// live.
type EndpointLive struct {
	EndpointState string `json:"endpoint_state"`
	Status        string `json:"status"`
}

// Grants lists the roles that received privileges.
type Grants struct {
	Result
	Roles []string `json:"roles"`
}

// Verification lists the packages that a temporary function installed.
type Verification struct {
	Result
	Packages  []string `json:"packages"`
	Procedure bool     `json:"procedure"`
}

// EgressRanges is the repository firewall opened to Snowflake's egress IP
// ranges.
type EgressRanges struct {
	Result
	// Ranges are the CIDR blocks that the firewall allows, sorted.
	Ranges []string `json:"ranges"`
	// NextChange is when the set of effective ranges changes next, in RFC
	// 3339: the earliest expiry or the earliest upcoming effective time. The
	// refresh must run again before then.
	NextChange string `json:"next_change,omitempty"`
}

// ActionFor reports Created when the resource's execution tag names the
// current execution, so that a step retried after creating a resource still
// reports it as created, and Adopted otherwise.
func ActionFor(tags map[string]string, execution string) string {
	if execution != "" && tags["repolink:execution"] == execution {
		return Created
	}
	return Adopted
}
