package sfsim

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/privatefile"
	"github.com/repolink/repolink/shared/sandbox/worldfile"
)

// stateFile is the name of the JSON file in Options.Dir.
const stateFile = "snowflake.json"

// World is everything the sandbox Snowflake stores, by account.
type World struct {
	Accounts map[string]*Account `json:"accounts"`
}

// Account is one Snowflake account. Map keys are stored names: upper case
// for names created unquoted, exact case for quoted ones.
type Account struct {
	Name         string                  `json:"name"`
	Users        map[string]*User        `json:"users"`
	Roles        map[string]*Role        `json:"roles"`
	Databases    map[string]*Database    `json:"databases"`
	Warehouses   map[string]*Warehouse   `json:"warehouses"`
	Integrations map[string]*Integration `json:"integrations"`
	// Parameters are the account-level parameters, such as
	// DEFAULT_PYTHON_ARTIFACT_REPOSITORY.
	Parameters map[string]string `json:"parameters"`
	Grants     []Grant           `json:"grants"`
	Endpoints  []*Endpoint       `json:"endpoints"`
	// AWSRegion and GCPRegion are the fixed regions that
	// SYSTEM$GET_PRIVATELINK_CONFIG names for the account. An empty one
	// reads as the pending region, or else as DefaultAWSRegion or
	// DefaultGCPRegion.
	AWSRegion string `json:"aws_region,omitempty"`
	GCPRegion string `json:"gcp_region,omitempty"`
	// PendingAWSRegion and PendingGCPRegion are the regions of the latest
	// request seeded for the account while its region in that cloud is
	// not fixed. The first private endpoint provisioned in that cloud
	// fixes it.
	PendingAWSRegion string `json:"pending_aws_region,omitempty"`
	PendingGCPRegion string `json:"pending_gcp_region,omitempty"`
	// Cloud is the fixed cloud of the account, aws, azure or gcp, which
	// decides the keys of SYSTEM$GET_PRIVATELINK_CONFIG. PendingCloud is
	// the cloud of the latest private-link request seeded while Cloud is
	// not fixed. The first private endpoint provisioned fixes it.
	Cloud        string `json:"cloud,omitempty"`
	PendingCloud string `json:"pending_cloud,omitempty"`
}

// User is a login. PublicKey is the DER PKIX encoding in base64.
type User struct {
	Name      string `json:"name"`
	PublicKey string `json:"public_key,omitempty"`
	// PasswordDigest is the password's worldfile.Sealer Digest, a keyed
	// HMAC-SHA256.
	PasswordDigest string `json:"password_hmac_sha256,omitempty"`
	// PasswordSHA256 is the unkeyed hash that earlier versions saved.
	// Login accepts it until EnsureUser sets the password again.
	PasswordSHA256 string `json:"password_sha256,omitempty"`
	DefaultRole    string `json:"default_role,omitempty"`
	// DefaultWarehouse is the user's DEFAULT_WAREHOUSE, the warehouse of
	// a session whose login names none. Empty means none.
	DefaultWarehouse string `json:"default_warehouse,omitempty"`
}

// Role is an account role.
type Role struct {
	Name      string    `json:"name"`
	CreatedOn time.Time `json:"created_on"`
}

// Warehouse is a virtual warehouse. Python functions and procedures run
// only in a session that has one.
type Warehouse struct {
	Name      string    `json:"name"`
	CreatedOn time.Time `json:"created_on"`
}

// Database holds schemas and database-level parameters.
type Database struct {
	Name       string             `json:"name"`
	Schemas    map[string]*Schema `json:"schemas"`
	Parameters map[string]string  `json:"parameters"`
	CreatedOn  time.Time          `json:"created_on"`
}

// Schema holds schema-level objects and parameters.
type Schema struct {
	Name         string                 `json:"name"`
	Secrets      map[string]*Secret     `json:"secrets"`
	Repositories map[string]*Repository `json:"repositories"`
	Parameters   map[string]string      `json:"parameters"`
	CreatedOn    time.Time              `json:"created_on"`
}

// Secret is a SECRET object. The sandbox must send the password or secret
// string to the index the way Snowflake would, so it keeps them, but only
// sealed with the world's worldfile.Sealer.
type Secret struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // PASSWORD or GENERIC_STRING
	Username string `json:"username,omitempty"`
	// Password and SecretString are sealed. An unset one is empty.
	Password     string    `json:"password_sealed,omitempty"`
	SecretString string    `json:"secret_string_sealed,omitempty"`
	Comment      string    `json:"comment,omitempty"`
	Owner        string    `json:"owner"`
	CreatedOn    time.Time `json:"created_on"`

	// ClearPassword and ClearSecretString are the values in clear that
	// worlds saved by earlier versions contain. Start seals them into
	// Password and SecretString and saves the world without them.
	ClearPassword     string `json:"password,omitempty"`
	ClearSecretString string `json:"secret_string,omitempty"`
}

// ObjectName is a schema-level object's database, schema and name, all
// stored names.
type ObjectName struct {
	Database string `json:"database"`
	Schema   string `json:"schema"`
	Name     string `json:"name"`
}

// String renders the name the way SHOW output prints references.
func (n ObjectName) String() string {
	return quoteIfNeeded(n.Database) + "." + quoteIfNeeded(n.Schema) + "." + quoteIfNeeded(n.Name)
}

// Integration is an API INTEGRATION.
type Integration struct {
	Name            string       `json:"name"`
	Provider        string       `json:"provider"`
	AllowedPrefixes []string     `json:"allowed_prefixes"`
	AllowedSecrets  []ObjectName `json:"allowed_secrets"`
	UsePrivateLink  bool         `json:"use_privatelink_endpoint"`
	Enabled         bool         `json:"enabled"`
	Comment         string       `json:"comment,omitempty"`
	Owner           string       `json:"owner"`
	CreatedOn       time.Time    `json:"created_on"`
}

// Repository is an ARTIFACT REPOSITORY.
type Repository struct {
	Name        string     `json:"name"`
	Type        string     `json:"type"`
	Integration string     `json:"integration"`
	IndexURL    string     `json:"index_url"`
	Secret      ObjectName `json:"secret"`
	Comment     string     `json:"comment,omitempty"`
	Owner       string     `json:"owner"`
	CreatedOn   time.Time  `json:"created_on"`
}

// Grant is one privilege on one object to one role.
type Grant struct {
	Privilege  string    `json:"privilege"`
	ObjectType string    `json:"object_type"` // INTEGRATION, DATABASE, SCHEMA, ARTIFACT_REPOSITORY
	ObjectName string    `json:"object_name"` // as SHOW GRANTS prints it
	Role       string    `json:"role"`
	GrantedBy  string    `json:"granted_by"`
	CreatedOn  time.Time `json:"created_on"`
}

// Endpoint is an outbound private endpoint that provisioning created.
type Endpoint struct {
	ServiceName string `json:"service_name"`
	Host        string `json:"host"`
	EndpointID  string `json:"endpoint_id"`
	// AvailableSince is when the provider side was first seen available.
	AvailableSince *time.Time `json:"available_since,omitempty"`
	// DeletedOn is set while the endpoint is marked for deletion.
	DeletedOn *time.Time `json:"deleted_on,omitempty"`
	CreatedOn time.Time  `json:"created_on"`
}

func newAccount(name string) *Account {
	a := &Account{
		Name:         name,
		Users:        map[string]*User{},
		Roles:        map[string]*Role{},
		Databases:    map[string]*Database{},
		Warehouses:   map[string]*Warehouse{},
		Integrations: map[string]*Integration{},
		Parameters:   map[string]string{},
	}
	for _, r := range []string{"ACCOUNTADMIN", "SYSADMIN", "SECURITYADMIN", "USERADMIN", "PUBLIC"} {
		a.Roles[r] = &Role{Name: r}
	}
	return a
}

func newDatabase(name string, now time.Time) *Database {
	return &Database{Name: name, Schemas: map[string]*Schema{
		"PUBLIC": newSchema("PUBLIC", now),
	}, Parameters: map[string]string{}, CreatedOn: now}
}

func newSchema(name string, now time.Time) *Schema {
	return &Schema{
		Name:         name,
		Secrets:      map[string]*Secret{},
		Repositories: map[string]*Repository{},
		Parameters:   map[string]string{},
		CreatedOn:    now,
	}
}

// accountKey returns the account's map key: the account identifier up to its
// first dot, upper-cased, as gosnowflake puts it in the JWT subject.
func accountKey(account string) string {
	name, _, _ := strings.Cut(account, ".")
	return strings.ToUpper(name)
}

// fingerprint returns Snowflake's public key fingerprint: "SHA256:" and the
// standard base64 of SHA-256 over the DER PKIX encoding.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.StdEncoding.EncodeToString(sum[:])
}

// passwordMatches reports whether password is the user's password, by its
// digest, or by the unkeyed hash of an earlier version's world.
func (s *Server) passwordMatches(u *User, password string) bool {
	switch {
	case u.PasswordDigest != "":
		return subtle.ConstantTimeCompare([]byte(u.PasswordDigest), []byte(s.sealer.Digest(password))) == 1
	case u.PasswordSHA256 != "":
		return subtle.ConstantTimeCompare([]byte(u.PasswordSHA256), []byte(hashPassword(password))) == 1
	}
	return false
}

func hashPassword(password string) string {
	sum := sha256.Sum256([]byte(password))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func (u *User) rsaPublicKey() (*rsa.PublicKey, []byte, error) {
	der, err := base64.StdEncoding.DecodeString(u.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("decode public key of user %s: %w", u.Name, err)
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse public key of user %s: %w", u.Name, err)
	}
	rsaKey, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, nil, fmt.Errorf("public key of user %s is not RSA", u.Name)
	}
	return rsaKey, der, nil
}

// loadWorld reads the state file and applies the journal, or returns an
// empty world when there is neither. It also returns the journal's size.
func loadWorld(dir string) (*World, int64, error) {
	w, err := worldfile.LoadDir(dir, stateFile, (*World).fillMaps)
	if err != nil {
		return nil, 0, fmt.Errorf("load sandbox snowflake state: %w", err)
	}
	if dir == "" {
		return w, 0, nil
	}
	// The journal contains whole accounts, as the state file does, so it
	// gets the same mode 0600 that loading gives the state file.
	if err := privatefile.Restrict(filepath.Join(dir, journalFile)); err != nil {
		return nil, 0, fmt.Errorf("load sandbox snowflake journal: %w", err)
	}
	journalSize, err := replayJournal(dir, w)
	if err != nil {
		return nil, 0, err
	}
	return w, journalSize, nil
}

// sealClearSecrets moves the clear values of secrets that an earlier
// version saved into their sealed fields. It reports whether it moved any.
func (w *World) sealClearSecrets(sealer *worldfile.Sealer) (bool, error) {
	moved := false
	for _, account := range w.Accounts {
		for _, db := range account.Databases {
			for _, schema := range db.Schemas {
				movedPasswords, err := worldfile.SealClearValues(sealer, schema.Secrets, "password", func(s *Secret) (*string, *string) {
					return &s.Password, &s.ClearPassword
				})
				if err != nil {
					return false, err
				}
				movedStrings, err := worldfile.SealClearValues(sealer, schema.Secrets, "secret string", func(s *Secret) (*string, *string) {
					return &s.SecretString, &s.ClearSecretString
				})
				if err != nil {
					return false, err
				}
				moved = moved || movedPasswords || movedStrings
			}
		}
	}
	return moved, nil
}

func (w *World) fillMaps() {
	if w.Accounts == nil {
		w.Accounts = map[string]*Account{}
	}
}

// saveWorld writes the whole world to the state file atomically.
func saveWorld(dir string, w *World) error {
	if err := worldfile.SaveDir(dir, stateFile, w); err != nil {
		return fmt.Errorf("save sandbox snowflake state: %w", err)
	}
	return nil
}

// quoteIfNeeded renders a stored name as SQL: bare when it reads back as the
// same stored name, double-quoted otherwise.
func quoteIfNeeded(name string) string {
	plain := name != ""
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'A' && c <= 'Z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '$')) {
			plain = false
			break
		}
	}
	if plain {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// clone returns a deep copy through JSON, for Snapshot.
func (a *Account) clone() (Account, error) {
	data, err := json.Marshal(a)
	if err != nil {
		return Account{}, err
	}
	var out Account
	err = json.Unmarshal(data, &out)
	return out, err
}
