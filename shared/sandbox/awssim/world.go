package awssim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/repolink/repolink/shared/sandbox/worldfile"
)

// stateFile is the name of the world file in Options.Dir.
const stateFile = "aws.json"

// World is the sandbox's AWS account: every resource that the front ends
// created. It is persisted as JSON after every change. States that move
// with time (instance, load balancer, connection) are stored as timestamps
// and computed when read, so Snapshot fills in the State fields.
type World struct {
	Instances        map[string]*Instance           `json:"instances"`
	TargetGroups     map[string]*TargetGroup        `json:"target_groups"`
	LoadBalancers    map[string]*LoadBalancer       `json:"load_balancers"`
	Listeners        map[string]*Listener           `json:"listeners"`
	EndpointServices map[string]*EndpointService    `json:"endpoint_services"`
	Connections      map[string]*EndpointConnection `json:"endpoint_connections"`
	Secrets          map[string]*Secret             `json:"secrets"`
	SecurityGroups   map[string]*SecurityGroup      `json:"security_groups"`
	// SubnetZones maps a subnet ID to its availability zone. A subnet seen
	// for the first time gets the next zone of the region in turn.
	SubnetZones map[string]string `json:"subnet_zones"`
	// SubnetVPCs maps a subnet ID to its VPC, for the subnets added with
	// AddSubnet.
	SubnetVPCs map[string]string `json:"subnet_vpcs,omitempty"`
	// Zones are the region's availability zones. Empty means two zones.
	Zones []Zone `json:"zones,omitempty"`
}

// Instance is an EC2 instance, keyed by its ID.
type Instance struct {
	ID               string            `json:"id"`
	ImageID          string            `json:"image_id"`
	InstanceType     string            `json:"instance_type"`
	SubnetID         string            `json:"subnet_id"`
	PrivateIP        string            `json:"private_ip"`
	SecurityGroupIDs []string          `json:"security_group_ids,omitempty"`
	UserData         string            `json:"user_data"`
	HTTPTokens       string            `json:"http_tokens,omitempty"`
	ClientToken      string            `json:"client_token,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	LaunchedAt       time.Time         `json:"launched_at"`
	TerminatedAt     *time.Time        `json:"terminated_at,omitempty"`
	// State is computed at read time: pending, running or terminated.
	State string `json:"-"`
}

// TargetGroup is an ELBv2 target group, keyed by its ARN.
type TargetGroup struct {
	ARN                     string            `json:"arn"`
	Name                    string            `json:"name"`
	Protocol                string            `json:"protocol"`
	Port                    int               `json:"port"`
	VPCID                   string            `json:"vpc_id"`
	TargetType              string            `json:"target_type"`
	HealthCheckEnabled      bool              `json:"health_check_enabled"`
	HealthCheckProtocol     string            `json:"health_check_protocol"`
	HealthCheckPort         string            `json:"health_check_port"`
	HealthCheckPath         string            `json:"health_check_path,omitempty"`
	HealthCheckInterval     int               `json:"health_check_interval_seconds"`
	HealthCheckTimeout      int               `json:"health_check_timeout_seconds"`
	HealthyThresholdCount   int               `json:"healthy_threshold_count"`
	UnhealthyThresholdCount int               `json:"unhealthy_threshold_count"`
	Tags                    map[string]string `json:"tags,omitempty"`
	Targets                 []Target          `json:"targets,omitempty"`
	CreatedAt               time.Time         `json:"created_at"`
	// Attributes are the attributes set by ModifyTargetGroupAttributes.
	// The others have their targetGroupAttributes defaults.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Target is an instance registered in a target group.
type Target struct {
	ID           string    `json:"id"`
	Port         int       `json:"port"`
	RegisteredAt time.Time `json:"registered_at"`
}

// LoadBalancer is an ELBv2 load balancer, keyed by its ARN.
type LoadBalancer struct {
	ARN            string            `json:"arn"`
	Name           string            `json:"name"`
	DNSName        string            `json:"dns_name"`
	Type           string            `json:"type"`
	Scheme         string            `json:"scheme"`
	SubnetIDs      []string          `json:"subnet_ids"`
	Zones          []string          `json:"zones"`
	SecurityGroups []string          `json:"security_groups,omitempty"`
	Attributes     map[string]string `json:"attributes"`
	Tags           map[string]string `json:"tags,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	// State is computed at read time: provisioning, then active.
	State string `json:"-"`
}

// Listener is a load balancer listener, keyed by its ARN.
type Listener struct {
	ARN             string    `json:"arn"`
	LoadBalancerARN string    `json:"load_balancer_arn"`
	Protocol        string    `json:"protocol"`
	Port            int       `json:"port"`
	TargetGroupARN  string    `json:"target_group_arn"`
	CertificateARNs []string  `json:"certificate_arns,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
}

// EndpointService is a VPC endpoint service, keyed by its ID.
type EndpointService struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	AcceptanceRequired bool     `json:"acceptance_required"`
	LoadBalancerARNs   []string `json:"load_balancer_arns"`
	// Zones are the zones of the load balancers when the service was
	// created. As in AWS, zones added to a load balancer later do not
	// reach the service.
	Zones       []string          `json:"zones,omitempty"`
	ClientToken string            `json:"client_token,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Permissions []Permission      `json:"permissions,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
}

// Permission is one allowed principal of an endpoint service.
type Permission struct {
	ID        string `json:"id"`
	Principal string `json:"principal"`
}

// EndpointConnection is a consumer's interface endpoint connected to an
// endpoint service, keyed by the endpoint ID.
type EndpointConnection struct {
	EndpointID string     `json:"endpoint_id"`
	ServiceID  string     `json:"service_id"`
	Principal  string     `json:"principal"`
	Owner      string     `json:"owner"`
	CreatedAt  time.Time  `json:"created_at"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
	// Final is set once the connection is rejected or deleted.
	Final string `json:"final,omitempty"`
	// State is computed at read time: pendingAcceptance, pending,
	// available, rejected or deleted.
	State string `json:"-"`
}

// Secret is a Secrets Manager secret, keyed by its ARN.
type Secret struct {
	ARN  string `json:"arn"`
	Name string `json:"name"`
	// Value is sealed with the world's worldfile.Sealer.
	Value     string    `json:"value_sealed,omitempty"`
	VersionID string    `json:"version_id"`
	CreatedAt time.Time `json:"created_at"`
	// ClearValue is the value in clear that worlds saved by earlier
	// versions contain. Start seals it into Value and saves the world
	// without it.
	ClearValue string `json:"value,omitempty"`
}

// sealClearSecrets moves the clear values of secrets that an earlier
// version saved into their sealed field. It reports whether it moved any.
func (w *World) sealClearSecrets(sealer *worldfile.Sealer) (bool, error) {
	return worldfile.SealClearValues(sealer, w.Secrets, "value", func(s *Secret) (*string, *string) {
		return &s.Value, &s.ClearValue
	})
}

func (w *World) fillMaps() {
	worldfile.FillMap(&w.Instances)
	worldfile.FillMap(&w.TargetGroups)
	worldfile.FillMap(&w.LoadBalancers)
	worldfile.FillMap(&w.Listeners)
	worldfile.FillMap(&w.EndpointServices)
	worldfile.FillMap(&w.Connections)
	worldfile.FillMap(&w.Secrets)
	worldfile.FillMap(&w.SecurityGroups)
	worldfile.FillMap(&w.SubnetZones)
	worldfile.FillMap(&w.SubnetVPCs)
}

// copyWorld returns a deep copy of w.
func copyWorld(w *World) (*World, error) {
	data, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	out := &World{}
	if err := json.Unmarshal(data, out); err != nil {
		return nil, err
	}
	out.fillMaps()
	return out, nil
}

// randomHex returns n random hexadecimal digits, as in AWS resource IDs.
func randomHex(n int) string {
	buf := make([]byte, (n+1)/2)
	if _, err := rand.Read(buf); err != nil {
		panic(fmt.Sprintf("read random bytes: %v", err))
	}
	return hex.EncodeToString(buf)[:n]
}
