// Package azure is the Azure SDK adapter behind cloud.AzureNetwork and
// cloud.Firewall: armnetwork for subnets, network interfaces, the load
// balancer, the Private Link Service and network security groups, and
// armcompute for the proxy VM. It also resolves azure-keyvault: credential
// references.
package azure

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"

	"github.com/repolink/repolink/shared/cloud"
)

var _ cloud.AzureNetwork = (*Provider)(nil)

// Retry and polling defaults. A step runs inside a state machine that has
// its own Retry on Throttled and Transient, so the SDK only smooths over
// short blips.
const (
	DefaultMaxRetries    = 3
	DefaultRetryDelay    = 800 * time.Millisecond
	DefaultMaxRetryDelay = 5 * time.Second
	// DefaultPollFrequency is the wait between polls of a long-running
	// operation when the service sends no Retry-After header. azcore
	// rejects less than one second outside test binaries.
	DefaultPollFrequency = 5 * time.Second
)

// resourceManagerAudience is the token audience of Azure Resource Manager in
// the public cloud; credentials get the scope audience + "/.default".
const resourceManagerAudience = "https://management.azure.com"

// Options configures the Azure clients.
type Options struct {
	// SubscriptionID is the subscription that the network adapter works in.
	// The firewall adapter takes it from each security group ID instead.
	SubscriptionID string
	// Endpoint overrides the Resource Manager base URL, such as
	// "https://127.0.0.1:8443" for the sandbox. Empty means public Azure.
	Endpoint string
	// Credential authenticates the requests. Nil means azidentity's default
	// chain (environment, workload identity, managed identity, Azure CLI).
	Credential azcore.TokenCredential
	// Transport sends the requests, such as an *http.Client that trusts
	// the sandbox CA. Nil means the SDK's default.
	Transport policy.Transporter
	// MaxRetries is the number of retries per request after the first
	// attempt. Zero means DefaultMaxRetries; negative means none.
	MaxRetries int
	// RetryDelay is the base delay between retries. Zero means
	// DefaultRetryDelay.
	RetryDelay time.Duration
	// PollFrequency is the wait between polls of a long-running operation.
	// Zero means DefaultPollFrequency.
	PollFrequency time.Duration
}

// clientOptions returns the Resource Manager client options for opts. An
// endpoint override replaces the whole cloud configuration, so that no
// request and no token audience lookup goes to public Azure.
func (opts Options) clientOptions() *arm.ClientOptions {
	maxRetries := opts.MaxRetries
	if maxRetries == 0 {
		maxRetries = DefaultMaxRetries
	}
	retryDelay := opts.RetryDelay
	if retryDelay <= 0 {
		retryDelay = DefaultRetryDelay
	}
	co := &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Retry: policy.RetryOptions{
			MaxRetries:    int32(maxRetries),
			RetryDelay:    retryDelay,
			MaxRetryDelay: DefaultMaxRetryDelay,
		},
		Transport: opts.Transport,
	}}
	if opts.Endpoint != "" {
		endpoint := strings.TrimRight(opts.Endpoint, "/")
		co.Cloud = azcloud.Configuration{
			ActiveDirectoryAuthorityHost: endpoint + "/",
			Services: map[azcloud.ServiceName]azcloud.ServiceConfiguration{
				azcloud.ResourceManager: {Endpoint: endpoint, Audience: resourceManagerAudience},
			},
		}
	}
	return co
}

func (opts Options) credential() (azcore.TokenCredential, error) {
	if opts.Credential != nil {
		return opts.Credential, nil
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("azure: build default credential: %w", err)
	}
	return cred, nil
}

func (opts Options) pollOptions() *runtime.PollUntilDoneOptions {
	frequency := opts.PollFrequency
	if frequency <= 0 {
		frequency = DefaultPollFrequency
	}
	return &runtime.PollUntilDoneOptions{Frequency: frequency}
}

// Provider implements cloud.AzureNetwork for one subscription. It is safe
// for concurrent use.
type Provider struct {
	subscription string
	poll         *runtime.PollUntilDoneOptions

	vnets       *armnetwork.VirtualNetworksClient
	subnets     *armnetwork.SubnetsClient
	interfaces  *armnetwork.InterfacesClient
	balancers   *armnetwork.LoadBalancersClient
	rules       *armnetwork.LoadBalancerLoadBalancingRulesClient
	linkService *armnetwork.PrivateLinkServicesClient
	vms         *armcompute.VirtualMachinesClient
	sizes       *armcompute.VirtualMachineSizesClient
	// arm sends the requests that no SDK client of a dependency covers,
	// such as the subscription's location list.
	arm *arm.Client
}

// New builds the network and compute clients for opts.SubscriptionID.
func New(opts Options) (*Provider, error) {
	if opts.SubscriptionID == "" {
		return nil, errors.New("azure: missing subscription: set Options.SubscriptionID")
	}
	cred, err := opts.credential()
	if err != nil {
		return nil, err
	}
	co := opts.clientOptions()
	network, err := armnetwork.NewClientFactory(opts.SubscriptionID, cred, co)
	if err != nil {
		return nil, fmt.Errorf("azure: build network clients for subscription %s: %w", opts.SubscriptionID, err)
	}
	compute, err := armcompute.NewClientFactory(opts.SubscriptionID, cred, co)
	if err != nil {
		return nil, fmt.Errorf("azure: build compute clients for subscription %s: %w", opts.SubscriptionID, err)
	}
	// The module name and version appear only in the User-Agent header,
	// and azcore requires a semantic version there.
	plain, err := arm.NewClient("repolink", "v0.0.0", cred, co)
	if err != nil {
		return nil, fmt.Errorf("azure: build Resource Manager client for subscription %s: %w", opts.SubscriptionID, err)
	}
	return &Provider{
		arm:          plain,
		subscription: opts.SubscriptionID,
		poll:         opts.pollOptions(),
		vnets:        network.NewVirtualNetworksClient(),
		subnets:      network.NewSubnetsClient(),
		interfaces:   network.NewInterfacesClient(),
		balancers:    network.NewLoadBalancersClient(),
		rules:        network.NewLoadBalancerLoadBalancingRulesClient(),
		linkService:  network.NewPrivateLinkServicesClient(),
		vms:          compute.NewVirtualMachinesClient(),
		sizes:        compute.NewVirtualMachineSizesClient(),
	}, nil
}

// parseID parses an ARM resource ID and checks that it names a resource of
// the given type, such as Microsoft.Network/privateLinkServices.
func parseID(id, resourceType string) (*arm.ResourceID, error) {
	parsed, err := arm.ParseResourceID(id)
	if err != nil {
		return nil, fmt.Errorf("azure: invalid resource ID %q: %w", id, err)
	}
	if !strings.EqualFold(parsed.ResourceType.String(), resourceType) {
		return nil, fmt.Errorf("azure: resource ID %q names a %s, want a %s", id, parsed.ResourceType, resourceType)
	}
	return parsed, nil
}

// tagsOf converts SDK tags to a plain map, with repolink's tag keys in
// their canonical spelling (canonicalTagKey), so that lookups by those
// keys ignore case as Azure does.
func tagsOf(tags map[string]*string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		if v != nil {
			out[canonicalTagKey(k)] = *v
		}
	}
	return out
}

// repolinkTagPrefix starts every tag key that repolink writes and reads,
// such as cloud.TagRequest. Those keys are all lower case.
const repolinkTagPrefix = "repolink:"

// canonicalTagKey returns key in lower case when it is one of repolink's
// tag keys in any case, and key unchanged otherwise. Azure tag names are
// case-insensitive (Resource Manager Tags API reference), so a resource
// that a person tagged by hand can carry Repolink:Request. Other keys keep
// their case, because repolink does not read them.
func canonicalTagKey(key string) string {
	if lower := strings.ToLower(key); strings.HasPrefix(lower, repolinkTagPrefix) {
		return lower
	}
	return key
}

// tagsFor returns the SDK tags of a created resource: extra plus the
// request tag.
func tagsFor(requestID string, extra map[string]string) map[string]*string {
	out := map[string]*string{cloud.TagRequest: to(requestID)}
	for k, v := range extra {
		if v != "" {
			out[canonicalTagKey(k)] = to(v)
		}
	}
	return out
}

func to[T any](v T) *T { return &v }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num(p *int32) int {
	if p == nil {
		return 0
	}
	return int(*p)
}

func idOf(r *armnetwork.SubResource) string {
	if r == nil {
		return ""
	}
	return str(r.ID)
}

// wait runs a long-running operation to its end.
func wait[T any](ctx context.Context, poller *runtime.Poller[T], err error, opts *runtime.PollUntilDoneOptions) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	return poller.PollUntilDone(ctx, opts)
}
