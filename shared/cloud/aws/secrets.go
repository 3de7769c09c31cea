package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/repolink/repolink/shared/workflow"
)

// SecretRefScheme is the prefix of a credential reference to AWS Secrets
// Manager.
const SecretRefScheme = "aws-secretsmanager:"

// SecretsManager resolves aws-secretsmanager: credential references.
// It is safe for concurrent use.
type SecretsManager struct {
	region string
	client *secretsmanager.Client
}

// NewSecretsManager builds a Secrets Manager client from the same options as
// New.
func NewSecretsManager(ctx context.Context, opts Options) (*SecretsManager, error) {
	cfg, err := loadConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &SecretsManager{
		region: opts.Region,
		client: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
			if opts.Endpoint != "" {
				o.BaseEndpoint = aws.String(opts.Endpoint)
			}
		}),
	}, nil
}

// Resolve returns the secret that ref points to. ref has the form
// "aws-secretsmanager:<arn-or-name>[#<json-key>]". With a JSON key, the
// secret string must be a JSON object and Resolve returns that key's string
// value. When ref holds an ARN, the call goes to the ARN's region. Errors
// name the secret and the key, never the value.
func (s *SecretsManager) Resolve(ctx context.Context, ref string) (string, error) {
	id, key, err := parseSecretRef(ref)
	if err != nil {
		return "", err
	}

	region := s.region
	if parsed, err := arn.Parse(id); err == nil && parsed.Region != "" {
		region = parsed.Region
	}

	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)},
		func(o *secretsmanager.Options) { o.Region = region })
	if apiCode(err) == "ResourceNotFoundException" {
		return "", workflow.Invalid("aws: secret %s not found in region %s: check the secret reference and region", id, region)
	}
	if err != nil {
		return "", classify(err, region, "read secret %s", id)
	}
	if out.SecretString == nil {
		return "", workflow.Invalid("aws: read secret %s in region %s: secret has no string value "+
			"(binary secrets are not supported): store it as SecretString", id, region)
	}
	if key == "" {
		return *out.SecretString, nil
	}
	return secretJSONField(*out.SecretString, id, key)
}

// parseSecretRef splits ref into the secret ID and the optional JSON key.
func parseSecretRef(ref string) (id, key string, err error) {
	rest, ok := strings.CutPrefix(ref, SecretRefScheme)
	if !ok {
		return "", "", workflow.Invalid("aws: invalid secret reference %q: want %s<arn-or-name>[#json-key]", ref, SecretRefScheme)
	}
	id, key, hasKey := strings.Cut(rest, "#")
	if id == "" {
		return "", "", workflow.Invalid("aws: invalid secret reference %q: missing secret ARN or name", ref)
	}
	if hasKey && key == "" {
		return "", "", workflow.Invalid("aws: invalid secret reference %q: empty JSON key after #", ref)
	}
	return id, key, nil
}

// secretJSONField returns the string value of key in the JSON object secret.
// Its errors never quote the secret.
func secretJSONField(secret, id, key string) (string, error) {
	var fields map[string]any
	if err := json.Unmarshal([]byte(secret), &fields); err != nil {
		return "", workflow.Invalid("aws: secret %s is not a JSON object, so key %q cannot be read: "+
			"drop #%s from the reference or store JSON", id, key, key)
	}
	value, ok := fields[key]
	if !ok {
		return "", workflow.Invalid("aws: secret %s has no JSON key %q", id, key)
	}
	text, ok := value.(string)
	if !ok {
		return "", workflow.Invalid("aws: JSON key %q of secret %s is a %s, want a string", key, id, jsonKind(value))
	}
	return text, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
