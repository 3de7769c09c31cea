package gcpsim

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/repolink/repolink/shared/sandbox/worldfile"
)

// stateFile is the name of the world file in Options.Dir.
const stateFile = "gcp.json"

// World is the sandbox's Google Cloud: every resource that the front end
// created or that was seeded, keyed by resource path
// (projects/p/zones/z/instances/n). It is persisted as JSON after every
// change. States that move with time (instance status, operation status,
// backend health, endpoint status) are stored as timestamps and computed
// when read.
type World struct {
	Networks           map[string]*Network           `json:"networks"`
	Subnetworks        map[string]*Subnetwork        `json:"subnetworks"`
	Instances          map[string]*Instance          `json:"instances"`
	InstanceGroups     map[string]*InstanceGroup     `json:"instance_groups"`
	HealthChecks       map[string]*HealthCheck       `json:"health_checks"`
	Firewalls          map[string]*Firewall          `json:"firewalls"`
	BackendServices    map[string]*BackendService    `json:"backend_services"`
	ForwardingRules    map[string]*ForwardingRule    `json:"forwarding_rules"`
	ServiceAttachments map[string]*ServiceAttachment `json:"service_attachments"`
	// Endpoints are consumer Private Service Connect endpoints, keyed by
	// the path of the consumer's forwarding rule.
	Endpoints  map[string]*Endpoint  `json:"endpoints"`
	Operations map[string]*Operation `json:"operations"`
	// RequestIDs maps project/requestId to the operation path that the
	// request created, so that a retried insert creates nothing more.
	RequestIDs map[string]string `json:"request_ids"`
	NextID     uint64            `json:"next_id"`
	// Secrets are Secret Manager secrets, keyed by
	// projects/<project>/secrets/<secret>.
	Secrets map[string]*Secret `json:"secrets,omitempty"`
	// Documents are Firestore documents, keyed by resource name
	// (projects/p/databases/d/documents/collection/id).
	Documents map[string]*Document `json:"documents,omitempty"`
}

// Meta holds the fields that every resource has.
type Meta struct {
	ID          uint64    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Network is a VPC network.
type Network struct {
	Meta
	Project string `json:"project"`
}

// Subnetwork is a subnet of a VPC network in a region.
type Subnetwork struct {
	Meta
	Project     string `json:"project"`
	Region      string `json:"region"`
	Network     string `json:"network"`
	IPCIDRRange string `json:"ip_cidr_range"`
	Purpose     string `json:"purpose"`
	// Allocated are the internal addresses in use, by VMs and forwarding
	// rules.
	Allocated []string `json:"allocated,omitempty"`
}

// Instance is a Compute Engine VM.
type Instance struct {
	Meta
	Project       string            `json:"project"`
	Zone          string            `json:"zone"`
	MachineType   string            `json:"machine_type"`
	SourceImage   string            `json:"source_image,omitempty"`
	Network       string            `json:"network"`
	Subnetwork    string            `json:"subnetwork"`
	NetworkIP     string            `json:"network_ip"`
	NetworkTags   []string          `json:"network_tags,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	StartupScript string            `json:"startup_script,omitempty"`
	// Seeded marks a VM that stands for one the customer already runs,
	// such as the repository for proxy none. It runs from the start and is
	// reached through Options.ResolveTarget.
	Seeded bool `json:"seeded,omitempty"`
}

// InstanceGroup is an unmanaged instance group.
type InstanceGroup struct {
	Meta
	Project string   `json:"project"`
	Zone    string   `json:"zone"`
	Network string   `json:"network"`
	Members []Member `json:"members,omitempty"`
}

// Member is an instance in an instance group.
type Member struct {
	Instance string    `json:"instance"`
	AddedAt  time.Time `json:"added_at"`
}

// HealthCheck is a regional health check.
type HealthCheck struct {
	Meta
	Project            string `json:"project"`
	Region             string `json:"region"`
	Type               string `json:"type"`
	Port               int    `json:"port"`
	CheckIntervalSec   int    `json:"check_interval_sec"`
	TimeoutSec         int    `json:"timeout_sec"`
	HealthyThreshold   int    `json:"healthy_threshold"`
	UnhealthyThreshold int    `json:"unhealthy_threshold"`
}

// Firewall is a VPC firewall rule.
type Firewall struct {
	Meta
	Project      string   `json:"project"`
	Network      string   `json:"network"`
	Direction    string   `json:"direction"`
	Priority     int      `json:"priority"`
	Disabled     bool     `json:"disabled,omitempty"`
	SourceRanges []string `json:"source_ranges,omitempty"`
	TargetTags   []string `json:"target_tags,omitempty"`
	Allowed      []Allow  `json:"allowed,omitempty"`
}

// Allow is one allowed protocol of a firewall rule, with its ports; no
// ports means all ports.
type Allow struct {
	IPProtocol string   `json:"ip_protocol"`
	Ports      []string `json:"ports,omitempty"`
}

// BackendService is a regional backend service.
type BackendService struct {
	Meta
	Project             string    `json:"project"`
	Region              string    `json:"region"`
	LoadBalancingScheme string    `json:"load_balancing_scheme"`
	Protocol            string    `json:"protocol"`
	Network             string    `json:"network,omitempty"`
	HealthChecks        []string  `json:"health_checks"`
	Backends            []Backend `json:"backends"`
}

// Backend is one instance group behind a backend service.
type Backend struct {
	Group         string `json:"group"`
	BalancingMode string `json:"balancing_mode"`
}

// ForwardingRule is a regional forwarding rule.
type ForwardingRule struct {
	Meta
	Project             string            `json:"project"`
	Region              string            `json:"region"`
	IPAddress           string            `json:"ip_address"`
	IPProtocol          string            `json:"ip_protocol"`
	LoadBalancingScheme string            `json:"load_balancing_scheme"`
	Ports               []string          `json:"ports,omitempty"`
	AllPorts            bool              `json:"all_ports,omitempty"`
	BackendService      string            `json:"backend_service"`
	Network             string            `json:"network"`
	Subnetwork          string            `json:"subnetwork"`
	Labels              map[string]string `json:"labels,omitempty"`
}

// ServiceAttachment is a Private Service Connect service attachment.
type ServiceAttachment struct {
	Meta
	Project              string        `json:"project"`
	Region               string        `json:"region"`
	ConnectionPreference string        `json:"connection_preference"`
	TargetService        string        `json:"target_service"`
	NATSubnets           []string      `json:"nat_subnets"`
	EnableProxyProtocol  bool          `json:"enable_proxy_protocol"`
	ConsumerAcceptLists  []AcceptEntry `json:"consumer_accept_lists,omitempty"`
	Fingerprint          string        `json:"fingerprint"`
}

// AcceptEntry is one consumer accept list entry.
type AcceptEntry struct {
	ProjectIDOrNum  string `json:"project_id_or_num,omitempty"`
	NetworkURL      string `json:"network_url,omitempty"`
	EndpointURL     string `json:"endpoint_url,omitempty"`
	ConnectionLimit int    `json:"connection_limit"`
}

// Endpoint is a consumer's Private Service Connect endpoint connected to a
// service attachment.
type Endpoint struct {
	Path              string     `json:"path"`
	ServiceAttachment string     `json:"service_attachment"`
	ConsumerNetwork   string     `json:"consumer_network"`
	PSCConnectionID   uint64     `json:"psc_connection_id"`
	CreatedAt         time.Time  `json:"created_at"`
	AcceptedAt        *time.Time `json:"accepted_at,omitempty"`
	// Final is set when the endpoint is rejected or closed, or forced
	// through SetEndpointStatus.
	Final string `json:"final,omitempty"`
	// Deleted marks an endpoint that the consumer deleted; it is no longer
	// listed on the attachment.
	Deleted bool `json:"deleted,omitempty"`
}

// Operation is a zonal, regional or global Compute Engine operation.
type Operation struct {
	ID      uint64 `json:"id"`
	Name    string `json:"name"`
	Project string `json:"project"`
	// Scope is zones/<zone>, regions/<region> or global.
	Scope      string    `json:"scope"`
	Type       string    `json:"type"`
	TargetLink string    `json:"target_link"`
	TargetID   uint64    `json:"target_id"`
	CreatedAt  time.Time `json:"created_at"`
	DoneAt     time.Time `json:"done_at"`
	// HTTPError, ErrorCode and ErrorMessage describe a failed operation.
	HTTPError    int    `json:"http_error,omitempty"`
	ErrorCode    string `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
}

// Path returns the operation's resource path.
func (o *Operation) Path() string {
	return "projects/" + o.Project + "/" + o.Scope + "/operations/" + o.Name
}

func (w *World) fillMaps() {
	worldfile.FillMap(&w.Networks)
	worldfile.FillMap(&w.Subnetworks)
	worldfile.FillMap(&w.Instances)
	worldfile.FillMap(&w.InstanceGroups)
	worldfile.FillMap(&w.HealthChecks)
	worldfile.FillMap(&w.Firewalls)
	worldfile.FillMap(&w.BackendServices)
	worldfile.FillMap(&w.ForwardingRules)
	worldfile.FillMap(&w.ServiceAttachments)
	worldfile.FillMap(&w.Endpoints)
	worldfile.FillMap(&w.Operations)
	worldfile.FillMap(&w.Secrets)
	worldfile.FillMap(&w.Documents)
	worldfile.FillMap(&w.RequestIDs)
	if w.NextID == 0 {
		w.NextID = 1000000000000000000
	}
}

// newID returns the next numeric resource ID. Callers hold the lock.
func (w *World) newID() uint64 {
	w.NextID++
	return w.NextID
}

// newFingerprint returns a random fingerprint, as Compute Engine uses for
// optimistic locking.
func newFingerprint() string {
	buf := make([]byte, 8)
	if _, err := rand.Read(buf); err != nil {
		panic(fmt.Sprintf("read random bytes: %v", err))
	}
	return base64.StdEncoding.EncodeToString(buf)
}
