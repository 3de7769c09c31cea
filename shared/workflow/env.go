package workflow

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
)

// Env is what the steps need from the platform they run on. The command
// line, the Lambda bootstrap and the functions-framework binary each build
// one with their own adapters.
type Env struct {
	// Snowflake returns a connection for the account and user of a request.
	Snowflake func(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error)
	// AWS returns the AWS network adapter for a region.
	AWS func(ctx context.Context, region string) (cloud.AWSNetwork, error)
	// Azure returns the Azure network adapter for a subscription.
	Azure func(ctx context.Context, subscriptionID string) (cloud.AzureNetwork, error)
	// GCP returns the Google Cloud network adapter for a project.
	GCP func(ctx context.Context, project string) (cloud.GCPNetwork, error)
	// Firewall returns the firewall adapter of a cloud: aws, azure or gcp.
	Firewall func(ctx context.Context, cloudName string) (cloud.Firewall, error)
	// Secrets reads a credential reference.
	Secrets interface {
		Resolve(ctx context.Context, ref string) (string, error)
	}
	// CodeArtifact returns the client that gets CodeArtifact authorization
	// tokens in a region. Nil means the deployment cannot get them, and
	// requests of auth type codeartifact fail.
	CodeArtifact func(ctx context.Context, region string) (TokenIssuer, error)
	// CodeArtifactDomains limits the domains that CodeArtifact tokens are
	// got for. Nil allows every domain, for commands that the operator runs
	// with their own request.
	CodeArtifactDomains *CodeArtifactDomains
	// Credentials records when the index credential of each run's SECRET
	// expires, for the poller. Nil means nothing is recorded.
	Credentials CredentialRegistry
	// Defaults records the levels on which runs set the default repository
	// parameter. Nil means nothing is recorded, and a run then unsets a
	// default on a level that default_for no longer names only when the
	// request created the repository.
	//
	// repolink run and repolink up record them in the state directory, the
	// Lambda deployment in its DynamoDB table and the Cloud Functions
	// deployment in Firestore when a waits collection is configured.
	Defaults DefaultRegistry
	// EarlierRequests returns the requests of the provision runs of the
	// request with the given ID that the deployment's execution store
	// contains. A teardown drops the repositories and secrets that they
	// named and that still carry the request's comment, even outside the
	// request's current schema. Nil means no runs are known.
	//
	// repolink run and repolink up set it. The Lambda and Cloud Functions
	// deployments set Locations in its place.
	EarlierRequests func(ctx context.Context, requestID string) ([]request.Request, error)
	// TornDown returns the name of the latest teardown of the request with
	// the given ID when that teardown succeeded and no provision run of
	// the request started after it, and "" otherwise. egress_ranges then
	// changes no firewall rule, because an egress refresh must not open
	// the firewall of a request that was torn down. Nil means that no
	// teardown is known.
	//
	// repolink run and repolink up set it from the execution store, and
	// the Lambda deployment from the run items of its DynamoDB table.
	TornDown func(ctx context.Context, requestID string) (string, error)
	// Locations records the databases and schemas in which runs create
	// their repository and secret. A teardown drops the objects at the
	// recorded locations that still carry the request's comment, as it
	// does for EarlierRequests, and then deletes the records. Nil means
	// nothing is recorded.
	//
	// The Lambda deployment records them in its DynamoDB table, and the
	// Cloud Functions deployment in Firestore when a waits collection is
	// configured.
	Locations LocationRegistry
	// IndexHTTP returns the client that preflight reaches the index with;
	// nil means a client that trusts the system CA pool and dials no
	// address of this machine or a metadata service. Only sandbox mode
	// sets it, to a client pinned to the sandbox index on loopback.
	IndexHTTP func() *http.Client
	// IndexSandbox marks IndexHTTP as trusting the sandbox CA in place of
	// the public CAs.
	IndexSandbox bool
	// Waits records the long waits that the poller completes.
	Waits WaitRegistry
	// EndpointReservations holds places among a Snowflake account's
	// private endpoints for runs that have not provisioned theirs yet. When
	// nil, preflight and the endpoint step check only the endpoints that
	// Snowflake lists.
	//
	// NOTE: the Cloud Functions deployment releases no place, because it
	// has no teardown workflow and no handler for closed runs. A place
	// there ends two hours after it was last reserved, so a failed run's
	// place counts until then.
	EndpointReservations EndpointReservations
	// ProxyResolver is the DNS resolver address that the proxy VM's nginx
	// uses for the upstream, such as the VPC resolver 169.254.169.253.
	ProxyResolver string
	// WaitDeadline bounds how long a run waits for an endpoint to become
	// live before it needs an operator.
	WaitDeadline time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
}

// Wait is one registered long wait: a task token that the poller completes
// once the Snowflake endpoint reaches its target status.
type Wait struct {
	Token     string            `json:"token"`
	Execution string            `json:"execution"`
	Snowflake request.Snowflake `json:"snowflake"`
	// ServiceID is the provider service that the endpoint connects to: the
	// VPC endpoint service name on AWS.
	ServiceID string    `json:"service_id"`
	Host      string    `json:"host"`
	Cloud     string    `json:"cloud"`
	Deadline  time.Time `json:"deadline"`
	CreatedAt time.Time `json:"created_at"`
}

// WaitRegistry stores registered waits. Put is idempotent by token.
type WaitRegistry interface {
	Put(ctx context.Context, w Wait) error
	List(ctx context.Context) ([]Wait, error)
	Delete(ctx context.Context, token string) error
}

// EndpointReservations holds places among the private endpoints of
// Snowflake accounts. Snowflake counts only the endpoints that exist, so two
// runs that check the limit at the same moment both see room for the last
// endpoint, and one of them builds its whole network before provisioning
// fails. A run reserves a place before it builds anything, and other runs
// count that place until the place is released or expires, except while
// their listing contains the place's endpoint, which then counts in its
// stead.
type EndpointReservations interface {
	// Reserve holds a place for r.RequestID in r.Account unless the listed
	// endpoints and the places of other requests reach r.Limit. A place
	// whose service is among r.Listed does not count, because its endpoint
	// counts already. Reserve keeps that place anyway, because a caller
	// whose listing was taken before the endpoint was created counts the
	// endpoint only through the place. So the endpoints and places never pass r.Limit,
	// whatever the order of the callers' listings and reservations, given
	// three conditions. A run creates its endpoint only after Reserve
	// recorded its service. Its place is not released while a listing
	// taken before the endpoint existed may still be used. No listing is
	// older than the store's TTL of a place when Reserve uses it.
	//
	// Reserve records r.ServiceID when it is set and renews the place. It
	// is atomic across callers and processes, and a request that holds a
	// place keeps it whatever the count.
	Reserve(ctx context.Context, r EndpointReservation) (ReservationResult, error)
	// Release drops the place of requestID in account. When execution is
	// not empty, it drops the place only while that execution holds it, so
	// a closing run cannot end the place that a later run of the request
	// took over. It returns nil when no such place exists.
	Release(ctx context.Context, account, requestID, execution string) error
}

// EndpointReservationChecker is a reservation store that can also return
// what Reserve would decide without changing the store, for a plan that
// must not hold a place.
type EndpointReservationChecker interface {
	EndpointReservations
	// Check returns the result that Reserve would return for r now. It
	// neither holds nor renews a place, and it drops no expired place, but
	// it does not count such places either.
	Check(ctx context.Context, r EndpointReservation) (ReservationResult, error)
}

// EndpointReservation is one request for a place among an account's
// private endpoints.
type EndpointReservation struct {
	Account   string
	RequestID string
	// Execution is the name of the execution that reserves. The place
	// records it as its holder, replacing the run that reserved before.
	Execution string
	// ServiceID is the provider service of the request's endpoint, or ""
	// before the run has built it.
	ServiceID string
	// Listed are the provider services of the endpoints that
	// SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO returned, which all count
	// towards Limit.
	Listed []string
	Limit  int
	Now    time.Time
}

// ReservationResult is the outcome of EndpointReservations.Reserve.
type ReservationResult struct {
	Reserved bool
	// Holders are the other requests whose places count towards the
	// limit, sorted, when Reserved is false. Requests whose endpoints are
	// listed are not among them.
	Holders []string
}
