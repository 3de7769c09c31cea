package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
)

// Resolver reads credential references.
type Resolver interface {
	Resolve(ctx context.Context, ref string) (string, error)
}

// SeededRoles are the account roles that Seed creates besides the system
// roles and snowflake.role, for the requests in examples/ to grant to.
var SeededRoles = []string{"DATA_SCIENCE"}

// SeededWarehouses are the warehouses that Seed creates: REPOLINK_WH, which
// the requests in examples/ use, and COMPUTE_WH for a request that changes
// its warehouse.
var SeededWarehouses = []string{"REPOLINK_WH", "COMPUTE_WH"}

// Seed prepares the sandbox for a request, as an administrator would prepare
// a real account: the Snowflake account, database, schema, warehouses,
// roles and service user, and the index credentials. A secret that the
// request references in the sandbox's Secrets Manager is generated when it
// does not exist yet, but env: and file: references must already resolve.
func (sb *Sandbox) Seed(ctx context.Context, req request.Request, secrets Resolver) error {
	if err := sb.SeedForTeardown(ctx, req, secrets); err != nil {
		return err
	}
	return sb.seedIndexCredentials(ctx, req.Repository, secrets)
}

// SeedForTeardown prepares the sandbox as Seed does, without the index
// credentials, so it never reads the repository credential, which no
// teardown step reads either.
func (sb *Sandbox) SeedForTeardown(ctx context.Context, req request.Request, secrets Resolver) error {
	sf := req.Snowflake
	// The request's names are identifiers, so unquoted names are stored
	// upper-cased and quoted ones exactly, as Snowflake stores them.
	db, schema := snowflake.StoredName(sf.Database), snowflake.StoredName(sf.Schema)
	for _, err := range []error{
		sb.Snowflake.EnsureAccount(sf.Account),
		sb.Snowflake.EnsureDatabase(sf.Account, db),
		sb.Snowflake.EnsureSchema(sf.Account, db, schema),
		sb.Snowflake.EnsureRole(sf.Account, snowflake.StoredName(sf.Role)),
	} {
		if err != nil {
			return fmt.Errorf("seed snowflake account %s: %w", sf.Account, err)
		}
	}
	if err := sb.seedAccountRegion(req); err != nil {
		return err
	}
	// The request's snowflake.warehouse is not seeded, so that a misspelled
	// warehouse fails the verification as it does in Snowflake.
	for _, warehouse := range SeededWarehouses {
		if err := sb.Snowflake.EnsureWarehouse(sf.Account, warehouse); err != nil {
			return fmt.Errorf("seed warehouse %s: %w", warehouse, err)
		}
	}
	// The roles of repository.grant_to_roles are not seeded, so that a
	// grant to a misspelled role fails as it does in Snowflake.
	for _, role := range SeededRoles {
		if err := sb.Snowflake.EnsureRole(sf.Account, role); err != nil {
			return fmt.Errorf("seed role %s: %w", role, err)
		}
	}

	if err := sb.seedUser(ctx, sf, secrets); err != nil {
		return err
	}
	// A request without snowflake.warehouse runs on the user's default
	// warehouse, as it would for an administrator who set one.
	if err := sb.Snowflake.SetDefaultWarehouse(sf.Account, sf.User, SeededWarehouses[0]); err != nil {
		return fmt.Errorf("seed snowflake user %s: %w", sf.User, err)
	}
	if err := sb.seedAzure(req); err != nil {
		return err
	}
	if err := sb.seedGCP(req); err != nil {
		return err
	}
	if err := sb.seedExampleSubnets(); err != nil {
		return err
	}
	// The egress-ip route changes the rules of an existing security group.
	// Only the example's group is seeded, in the examples' region and VPC,
	// so that a request naming another group, or this one in another
	// region, fails with InvalidGroup.NotFound, as it does on AWS.
	if err := sb.AWS.EnsureSecurityGroup(exampleSecurityGroup, exampleRegion, exampleVPC); err != nil {
		return fmt.Errorf("seed security group %s: %w", exampleSecurityGroup, err)
	}
	return nil
}

func (sb *Sandbox) seedUser(ctx context.Context, sf request.Snowflake, secrets Resolver) error {
	if sf.PrivateKeyRef == "" {
		if err := sb.ensureSecret(sf.PasswordRef, randomPassword); err != nil {
			return &CredentialError{Path: "$.snowflake.password_ref", Err: err}
		}
		password, err := secrets.Resolve(ctx, sf.PasswordRef)
		if err != nil {
			return &CredentialError{Path: "$.snowflake.password_ref", Err: fmt.Errorf("read $.snowflake.password_ref: %w", err)}
		}
		return sb.Snowflake.EnsureUser(sf.Account, sf.User, nil, password)
	}

	const keyPath = "$.snowflake.private_key_ref"
	if err := sb.ensureSecret(sf.PrivateKeyRef, newPrivateKeyPEM); err != nil {
		return &CredentialError{Path: keyPath, Err: err}
	}
	pemText, err := secrets.Resolve(ctx, sf.PrivateKeyRef)
	if err != nil {
		return &CredentialError{Path: keyPath, Err: fmt.Errorf("read $.snowflake.private_key_ref: %w", err)}
	}
	var passphrase string
	if sf.PrivateKeyPassphraseRef != "" {
		if passphrase, err = secrets.Resolve(ctx, sf.PrivateKeyPassphraseRef); err != nil {
			return &CredentialError{Path: "$.snowflake.private_key_passphrase_ref",
				Err: fmt.Errorf("read $.snowflake.private_key_passphrase_ref: %w", err)}
		}
	}
	key, err := snowflake.ParsePrivateKey([]byte(pemText), []byte(passphrase))
	if err != nil {
		return &CredentialError{Path: keyPath, Err: fmt.Errorf("$.snowflake.private_key_ref: %w", err)}
	}
	return sb.Snowflake.EnsureUser(sf.Account, sf.User, &key.PublicKey, "")
}

// seedIndexCredentials makes the index accept what Snowflake will send for
// the repository host: the user name and password of a password secret, or
// the user:token pair that a generic string secret holds. A missing secret
// is generated in the form that the index product documents. The index keeps
// accepting the credentials of every other request that was seeded, and a
// new value of the same reference replaces the old one.
func (sb *Sandbox) seedIndexCredentials(ctx context.Context, repo request.Repository, secrets Resolver) error {
	auth := repo.Auth
	if auth.Type == request.AuthCodeArtifact {
		// The index accepts the tokens that the AWS front end returns.
		return nil
	}
	ref, field := auth.PasswordRef, "$.repository.auth.password_ref"
	if auth.Type == "token" {
		ref, field = auth.TokenRef, "$.repository.auth.token_ref"
	}
	if err := sb.ensureSecret(ref, indexSecretGenerator(repo)); err != nil {
		return &CredentialError{Path: field, Err: err}
	}
	value, err := secrets.Resolve(ctx, ref)
	if err != nil {
		return &CredentialError{Path: field, Err: fmt.Errorf("read %s: %w", field, err)}
	}
	user, password := auth.Username, value
	if auth.Type == "token" {
		user, password, _ = strings.Cut(value, ":")
	}
	u, err := url.Parse(repo.IndexURL)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("$.repository.index_url %q has no host", repo.IndexURL)
	}
	if err := sb.Index.SetCredential(u.Hostname(), ref, user, password); err != nil {
		return fmt.Errorf("seed index credential: %w", err)
	}
	return nil
}

// CredentialError is a failure of Seed to create, read or use the
// credential of one reference field of the request.
type CredentialError struct {
	// Path is the JSON path of the field, such as
	// $.repository.auth.password_ref.
	Path string
	Err  error
}

func (e *CredentialError) Error() string { return e.Err.Error() }

func (e *CredentialError) Unwrap() error { return e.Err }

// RequestError is a failure of Seed that only a change to the request
// fixes, such as a reference to a secret version that the sandbox lacks.
type RequestError struct {
	Message string
}

func (e *RequestError) Error() string { return e.Message }

// ensureSecret creates a Secrets Manager secret for an aws-secretsmanager:
// reference when the sandbox does not hold it yet.
func (sb *Sandbox) ensureSecret(ref string, generate func() (string, error)) error {
	if strings.HasPrefix(ref, "azure-keyvault:") {
		return sb.ensureKeyVaultSecret(ref, generate)
	}
	if strings.HasPrefix(ref, "gcp-secretmanager:") {
		return sb.ensureSecretManagerSecret(ref, generate)
	}
	id, ok := strings.CutPrefix(ref, "aws-secretsmanager:")
	if !ok {
		return nil
	}
	id, _, _ = strings.Cut(id, "#")
	if sb.AWS.HasSecret(id) {
		return nil
	}
	value, err := generate()
	if err != nil {
		return err
	}
	if _, err := sb.AWS.PutSecret(id, value); err != nil {
		return fmt.Errorf("seed secret: %w", err)
	}
	return nil
}

func newPrivateKeyPEM() (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", fmt.Errorf("generate sandbox key pair: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("encode sandbox key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// randomPassword returns a password with the characters that break
// credentials embedded in URLs, so that the sandbox proves they never are.
func randomPassword() (string, error) {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	buf := make([]byte, 20)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generate sandbox password: %w", err)
	}
	for i, b := range buf {
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(buf[:8]) + "@#%/^" + string(buf[8:]), nil
}

// exampleSubnets maps the subnets of the shipped AWS examples to their
// zones. They are in us-west-2, the examples' aws.region.
var exampleSubnets = map[string]string{
	"subnet-0a1b2c3d4e5f60001": "us-west-2a",
	"subnet-0a1b2c3d4e5f60002": "us-west-2b",
}

// exampleSecurityGroup is the egress.security_group_id of
// examples/egress-ip.json.
const exampleSecurityGroup = "sg-0a1b2c3d4e5f60718"

// exampleRegion is the aws.region and egress.region of the shipped AWS
// examples.
const exampleRegion = "us-west-2"

// exampleVPC is the aws.vpc_id of the shipped AWS examples.
const exampleVPC = "vpc-0a1b2c3d4e5f60718"

// seedAccountRegion gives the Snowflake account the region and the cloud of
// the request as its pending ones, so that SYSTEM$GET_PRIVATELINK_CONFIG
// names that region. The first private endpoint provisioned for the account fixes
// it, and a later request for the account in another region then fails
// preflight, as it would on Snowflake, where an account has one region.
// Seeding runs before the checks that read the region, so a fixed region
// here would let a rejected request, such as one with a misspelt
// region, decide how every later request is judged.
//
// NOTE: two requests for an account without a fixed region that run at
// the same time each replace the other's pending region, so either one
// may fail account_region until one of them has provisioned its endpoint.
func (sb *Sandbox) seedAccountRegion(req request.Request) error {
	if err := sb.seedAccountCloud(req); err != nil {
		return err
	}
	var awsRegion, gcpRegion string
	switch {
	case req.Route == request.RouteAWSPrivateLink && req.AWS != nil:
		awsRegion = req.AWS.Region
	case req.Route == request.RouteGCPPrivateLink && req.GCP != nil:
		gcpRegion = req.GCP.Region
	default:
		return nil
	}
	if err := sb.Snowflake.ProposeAccountRegions(req.Snowflake.Account, awsRegion, gcpRegion); err != nil {
		return fmt.Errorf("seed region of snowflake account %s: %w", req.Snowflake.Account, err)
	}
	return nil
}

// seedExampleSubnets records the examples' subnets in their region, so
// that a request for another region does not find them, as AWS would not.
// Other subnet IDs get a zone of the region of the first call that names them.
func (sb *Sandbox) seedExampleSubnets() error {
	for id, zone := range exampleSubnets {
		if err := sb.AWS.EnsureSubnet(id, exampleVPC, zone); err != nil {
			return fmt.Errorf("seed subnet %s: %w", id, err)
		}
	}
	return nil
}
