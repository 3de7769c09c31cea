package azuresim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/sandbox/worldfile"
)

// stateFile is the world's file name inside Options.Dir.
const stateFile = "azure.json"

// World is the persisted state of the sandbox Azure.
type World struct {
	// Resources are keyed by the lower-case resource ID, because Resource
	// Manager IDs are case-insensitive.
	Resources map[string]*Resource `json:"resources"`
	// Connections are the private endpoint connections on Private Link
	// Services, keyed by the lower-case connection ID.
	Connections map[string]*Connection `json:"connections"`
	Operations  map[string]*Operation  `json:"operations"`
	// NextHost is the next host number to hand out per lower-case subnet
	// ID.
	NextHost map[string]int `json:"next_host"`
	// Secrets are Key Vault secrets keyed by "<vault>/<name>" in lower
	// case. The file is readable by its owner only, as for the AWS world.
	Secrets map[string]*Secret `json:"secrets"`
}

// Secret is the current version of a Key Vault secret.
type Secret struct {
	// Value is sealed with the world's worldfile.Sealer.
	Value   string `json:"value_sealed,omitempty"`
	Version string `json:"version"`
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

// Resource is one Resource Manager resource: its ID as first written, its
// type, and its JSON as stored (provisioningState and other read-time
// fields are added when it is read).
type Resource struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Body      json.RawMessage `json:"body"`
	CreatedAt time.Time       `json:"created_at"`
	// ReadyAt is when the resource's provisioning finishes.
	ReadyAt time.Time `json:"ready_at"`
	// CustomData is a VM's decoded custom data, which Resource Manager
	// never returns.
	CustomData string `json:"custom_data,omitempty"`
	// Seeded marks a resource that the sandbox created for a request
	// before it ran, as an administrator would have, and that no PUT has
	// changed since.
	Seeded bool `json:"seeded,omitempty"`
}

// Connection is a private endpoint connection on a Private Link Service.
type Connection struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	ServiceID         string    `json:"service_id"`
	PrivateEndpointID string    `json:"private_endpoint_id"`
	Principal         string    `json:"principal"`
	Status            string    `json:"status"`
	Description       string    `json:"description"`
	LinkIdentifier    string    `json:"link_identifier"`
	CreatedAt         time.Time `json:"created_at"`
}

// Operation is an asynchronous operation that an Azure-AsyncOperation URL
// names.
type Operation struct {
	ID      string    `json:"id"`
	ReadyAt time.Time `json:"ready_at"`
}

func (w *World) fillMaps() {
	worldfile.FillMap(&w.Resources)
	worldfile.FillMap(&w.Connections)
	worldfile.FillMap(&w.Operations)
	worldfile.FillMap(&w.NextHost)
	worldfile.FillMap(&w.Secrets)
}

// commit persists the world. Callers hold s.mu.
func (s *Server) commit() error {
	if err := worldfile.SaveReported(s.opts.Dir, stateFile, s.world, s.opts.StoreHealth, s.log); err != nil {
		return fmt.Errorf("save world: %w", err)
	}
	return nil
}

func key(id string) string { return strings.ToLower(strings.TrimRight(id, "/")) }

// resource returns the stored resource with id and type, or nil. Callers
// hold s.mu.
func (s *Server) resource(id, resourceType string) *Resource {
	res := s.world.Resources[key(id)]
	if res == nil || !strings.EqualFold(res.Type, resourceType) {
		return nil
	}
	return res
}

// decode reads a stored resource into an SDK model. Callers hold s.mu.
func decode[T any](res *Resource) (T, error) {
	var v T
	if err := json.Unmarshal(res.Body, &v); err != nil {
		return v, fmt.Errorf("decode stored %s: %w", res.ID, err)
	}
	return v, nil
}

// resourcesOfType yields the stored resources of resourceType in ID order,
// each with its body decoded into T. It skips a resource whose body does
// not decode into T, so callers treat such a resource as absent. Callers
// hold s.mu.
func resourcesOfType[T any](s *Server, resourceType string) iter.Seq2[*Resource, T] {
	return func(yield func(*Resource, T) bool) {
		for _, k := range sortedKeys(s.world.Resources) {
			res := s.world.Resources[k]
			if res.Type != resourceType {
				continue
			}
			v, err := decode[T](res)
			if err != nil {
				continue
			}
			if !yield(res, v) {
				return
			}
		}
	}
}

// sortedKeys returns the keys of m in order, so that lists are stable.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// randomHex returns n random hexadecimal digits.
func randomHex(n int) string {
	buf := make([]byte, (n+1)/2)
	if _, err := rand.Read(buf); err != nil {
		panic(fmt.Sprintf("read random bytes: %v", err))
	}
	return hex.EncodeToString(buf)[:n]
}

// newGUID returns a random GUID in the 8-4-4-4-12 form.
func newGUID() string {
	h := randomHex(32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func marshal(v any) (json.RawMessage, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode resource: %w", err)
	}
	return data, nil
}
