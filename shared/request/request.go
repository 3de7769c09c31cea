// Package request defines the provisioning request: its schema, defaults,
// validation and the execution name derived from its ID.
package request

// Route names one way of connecting Snowflake to a package index.
type Route string

// Routes that a request can name.
const (
	RouteAWSPrivateLink Route = "aws-privatelink"
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
	// Type is "password" (a SECRET of TYPE = PASSWORD) or "token" (TYPE =
	// GENERIC_STRING).
	Type        string `json:"type"`
	Username    string `json:"username,omitempty"`
	PasswordRef string `json:"password_ref,omitempty"`
	TokenRef    string `json:"token_ref,omitempty"`
}

// AWS is the network side of the aws-privatelink route.
type AWS struct {
	Region    string   `json:"region"`
	VPCID     string   `json:"vpc_id"`
	SubnetIDs []string `json:"subnet_ids"`
	// Upstream is host:port of the index as the proxy reaches it.
	Upstream string `json:"upstream"`
	// Proxy is "nginx" (the default): a VM running an nginx stream proxy.
	Proxy            string   `json:"proxy,omitempty"`
	InstanceType     string   `json:"instance_type,omitempty"`
	ImageID          string   `json:"image_id,omitempty"`
	SecurityGroupIDs []string `json:"security_group_ids,omitempty"`
	// Listener is the load balancer listener protocol. Only "tcp" is
	// accepted, because a TLS listener would terminate the connection that
	// the proxy must pass through.
	Listener string `json:"listener,omitempty"`
}

// Notify is where the result of a run is posted.
type Notify struct {
	URL string `json:"url"`
}
