// Package request defines the provisioning request: its schema, defaults,
// validation and the execution name derived from its ID.
package request

// Route names one way of connecting Snowflake to a package index.
type Route string

// Routes that a request can name.
const (
	RouteAWSPrivateLink   Route = "aws-privatelink"
	RouteAzurePrivateLink Route = "azure-privatelink"
	RouteGCPPrivateLink   Route = "gcp-privatelink"
	RouteEgressIP         Route = "egress-ip"
	RoutePublic           Route = "public"
)

// Request is one provisioning request, the same whether it comes from a
// ticket, a file or the command line. It holds names, IDs and credential
// references, never a credential itself.
type Request struct {
	ID         string     `json:"id"`
	Route      Route      `json:"route"`
	Snowflake  Snowflake  `json:"snowflake"`
	Repository Repository `json:"repository"`
	AWS        *AWS       `json:"aws,omitempty"`
	Azure      *Azure     `json:"azure,omitempty"`
	GCP        *GCP       `json:"gcp,omitempty"`
	Egress     *Egress    `json:"egress,omitempty"`
	Notify     *Notify    `json:"notify,omitempty"`
}

// Snowflake is the account that receives the artifact repository and the
// service user that repolink logs in as.
type Snowflake struct {
	// Account is the account identifier, such as "myorg-analytics".
	Account string `json:"account"`
	User    string `json:"user"`
	Role    string `json:"role,omitempty"`
	// PrivateKeyRef references a PEM private key (PKCS#8 or PKCS#1) for
	// key-pair login. Exactly one of PrivateKeyRef and PasswordRef is set.
	PrivateKeyRef string `json:"private_key_ref,omitempty"`
	// PrivateKeyPassphraseRef references the passphrase of an encrypted
	// PKCS#8 key.
	PrivateKeyPassphraseRef string `json:"private_key_passphrase_ref,omitempty"`
	PasswordRef             string `json:"password_ref,omitempty"`
	Warehouse               string `json:"warehouse,omitempty"`
	Database                string `json:"database"`
	Schema                  string `json:"schema"`
}

// Repository is the package index and the Snowflake objects that point at it.
type Repository struct {
	// Name is the ARTIFACT REPOSITORY name. The SECRET and the API
	// INTEGRATION are named after it.
	Name     string `json:"name"`
	IndexURL string `json:"index_url"`
	Auth     Auth   `json:"auth"`
	// Packages are requirement specifiers that verification installs.
	Packages []string `json:"packages"`
	// Procedures says stored procedures will use the repository, so it must
	// host snowflake-snowpark-python and verification also checks a procedure.
	Procedures bool `json:"procedures,omitempty"`
	// DefaultFor sets DEFAULT_PYTHON_ARTIFACT_REPOSITORY on "account",
	// "database" or "schema"; "none" (the default) sets nothing.
	DefaultFor   string   `json:"default_for,omitempty"`
	GrantToRoles []string `json:"grant_to_roles,omitempty"`
	// ExtraAllowedPrefixes are further https:// prefixes for
	// API_ALLOWED_PREFIXES, such as a CDN host that serves the files.
	ExtraAllowedPrefixes []string `json:"extra_allowed_prefixes,omitempty"`
	// RuntimeVersion is the Python version of the verification function.
	RuntimeVersion string `json:"runtime_version,omitempty"`
}

// Auth is how Snowflake authenticates to the index.
type Auth struct {
	// Type is "password" (a SECRET of TYPE = PASSWORD), "token" (TYPE =
	// GENERIC_STRING) or "codeartifact" (TYPE = PASSWORD with the user aws
	// and a token that repolink gets from AWS CodeArtifact with its own AWS
	// credentials, and renews before it expires).
	Type        string `json:"type"`
	Username    string `json:"username,omitempty"`
	PasswordRef string `json:"password_ref,omitempty"`
	TokenRef    string `json:"token_ref,omitempty"`
	// TokenDurationSeconds is the lifetime of each CodeArtifact token that
	// repolink requests, for type codeartifact: 900 to 43200 seconds.
	// Zero means 43200 (12 hours).
	TokenDurationSeconds int `json:"token_duration_seconds,omitempty"`
}

// AWS is the network side of the aws-privatelink route.
type AWS struct {
	Region    string   `json:"region"`
	VPCID     string   `json:"vpc_id"`
	SubnetIDs []string `json:"subnet_ids"`
	// Upstream is host:port of the index as the proxy reaches it.
	Upstream string `json:"upstream"`
	// Proxy is "nginx" (the default), a VM running an nginx stream proxy,
	// or "none" when the repository already runs inside the VPC and the
	// load balancer targets it directly.
	Proxy string `json:"proxy,omitempty"`
	// TargetAddress is the private IP address of the repository inside
	// the VPC, for proxy "none".
	TargetAddress    string   `json:"target_address,omitempty"`
	InstanceType     string   `json:"instance_type,omitempty"`
	ImageID          string   `json:"image_id,omitempty"`
	SecurityGroupIDs []string `json:"security_group_ids,omitempty"`
	// Listener is the load balancer listener protocol. Only "tcp" is
	// accepted, because a TLS listener would terminate the connection that
	// the proxy must pass through.
	Listener string `json:"listener,omitempty"`
}

// Azure is the network side of the azure-privatelink route.
type Azure struct {
	SubscriptionID string `json:"subscription_id"`
	ResourceGroup  string `json:"resource_group"`
	Location       string `json:"location"`
	VNetName       string `json:"vnet_name"`
	// SubnetName is the subnet of the proxy VM and the load balancer
	// frontend.
	SubnetName string `json:"subnet_name"`
	// PLSSubnetName is the subnet that the Private Link Service takes its
	// NAT addresses from; its private-link-service network policies are
	// disabled by the workflow.
	PLSSubnetName string `json:"pls_subnet_name"`
	Upstream      string `json:"upstream"`
	Proxy         string `json:"proxy,omitempty"`
	TargetAddress string `json:"target_address,omitempty"`
	VMSize        string `json:"vm_size,omitempty"`
	// Image is a marketplace image URN publisher:offer:sku:version.
	Image         string `json:"image,omitempty"`
	AdminUsername string `json:"admin_username,omitempty"`
	// SSHPublicKey is the administrator's OpenSSH public key; a public
	// key is not a credential.
	SSHPublicKey string `json:"ssh_public_key,omitempty"`
}

// GCP is the network side of the gcp-privatelink route.
type GCP struct {
	Project string `json:"project"`
	Region  string `json:"region"`
	Zone    string `json:"zone"`
	Network string `json:"network"`
	// Subnet is the subnet of the proxy VM and the forwarding rule.
	Subnet string `json:"subnet"`
	// PSCSubnet is the subnet with purpose PRIVATE_SERVICE_CONNECT that
	// the service attachment uses; it is created with PSCSubnetCIDR when
	// absent.
	PSCSubnet     string `json:"psc_subnet"`
	PSCSubnetCIDR string `json:"psc_subnet_cidr,omitempty"`
	Upstream      string `json:"upstream"`
	Proxy         string `json:"proxy,omitempty"`
	TargetAddress string `json:"target_address,omitempty"`
	// TargetTags are the network tags of the repository's VM with proxy
	// none. The firewall rules for the health checks and the Private
	// Service Connect subnet target them, so that they open port 443 on
	// that VM and not on every VM in the network.
	TargetTags  []string `json:"target_tags,omitempty"`
	MachineType string   `json:"machine_type,omitempty"`
	Image       string   `json:"image,omitempty"`
}

// Egress names the repository firewall that the egress-ip route opens to
// Snowflake's egress IP ranges, on one cloud.
type Egress struct {
	// Cloud is aws, azure or gcp.
	Cloud string `json:"cloud"`
	// Region and SecurityGroupID identify an AWS security group.
	Region          string `json:"region,omitempty"`
	SecurityGroupID string `json:"security_group_id,omitempty"`
	// NetworkSecurityGroupID is the resource ID of an Azure NSG.
	NetworkSecurityGroupID string `json:"network_security_group_id,omitempty"`
	// Project, Network and TargetTags identify a GCP firewall rule's scope.
	Project    string   `json:"project,omitempty"`
	Network    string   `json:"network,omitempty"`
	TargetTags []string `json:"target_tags,omitempty"`
	// Port is the repository's HTTPS port, which must be the port of
	// Repository.IndexURL. It defaults to that port, 443 when the URL names
	// none.
	Port int `json:"port,omitempty"`
}

// Notify is where the result of a run is posted.
type Notify struct {
	URL string `json:"url"`
}
