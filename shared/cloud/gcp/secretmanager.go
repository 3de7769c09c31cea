package gcp

import (
	"context"
	"fmt"
	"hash/crc32"
	"regexp"
	"strings"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
)

// SecretManagerScheme is the reference scheme that SecretManager reads.
const SecretManagerScheme = "gcp-secretmanager"

// secretNamePattern matches projects/<project>/secrets/<secret> with an
// optional /versions/<version>.
var secretNamePattern = regexp.MustCompile(`^projects/[^/]+/secrets/[A-Za-z0-9_-]+(/versions/[A-Za-z0-9_-]+)?$`)

// SecretManager resolves gcp-secretmanager: references of the form
// gcp-secretmanager:projects/<project>/secrets/<secret>[/versions/<version>]
// with the Secret Manager REST client. Without a version it reads the
// latest one.
type SecretManager struct {
	client *secretmanager.Client
}

// NewSecretManager builds the Secret Manager client from the endpoint and
// client options of opts.
func NewSecretManager(ctx context.Context, opts Options) (*SecretManager, error) {
	clientOpts := append([]option.ClientOption(nil), opts.ClientOptions...)
	if opts.Endpoint != "" {
		clientOpts = append(clientOpts, option.WithEndpoint(strings.TrimRight(opts.Endpoint, "/")))
	}
	client, err := secretmanager.NewRESTClient(ctx, clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("gcp: create Secret Manager client: %w", err)
	}
	return &SecretManager{client: client}, nil
}

// Close closes the client.
func (m *SecretManager) Close() error { return m.client.Close() }

// Resolve reads the secret version that ref names and checks its CRC32C
// checksum when the service sends one. Errors name the secret, never its
// value.
func (m *SecretManager) Resolve(ctx context.Context, ref string) (string, error) {
	name := strings.TrimPrefix(ref, SecretManagerScheme+":")
	if !secretNamePattern.MatchString(name) {
		return "", fmt.Errorf("reference must be %s:projects/<project>/secrets/<secret>[/versions/<version>]", SecretManagerScheme)
	}
	if !strings.Contains(name, "/versions/") {
		name += "/versions/latest"
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultCallTimeout)
	defer cancel()
	resp, err := m.client.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: name})
	if isNotFound(err) {
		return "", fmt.Errorf("gcp: secret version %s not found; create it or fix the reference", name)
	}
	if err != nil {
		return "", classify(err, strings.Split(name, "/")[1], "access secret version %s", name)
	}
	data := resp.GetPayload().GetData()
	if sum := resp.GetPayload().DataCrc32C; sum != nil && int64(crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))) != *sum {
		return "", fmt.Errorf("gcp: secret version %s arrived with a wrong CRC32C checksum; try again", name)
	}
	return string(data), nil
}
