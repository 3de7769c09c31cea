package main

import (
	"os"
	"strings"
)

// minServiceSecretBytes is the shortest webhook secret and API token that
// up accepts. repolink verifies both itself, as an HMAC key and as a
// bearer token, and 16 random bytes are 128 bits, too many to guess by
// sending requests.
const minServiceSecretBytes = 16

// makeSecretHint is the advice on making a secret that checkServiceSecret
// accepts.
const makeSecretHint = "set it to a random value of at least 16 bytes, such as the output of: openssl rand -hex 32"

// checkServiceSecret returns a usage error when value, a secret that
// repolink signs or verifies with, is blank or shorter than minServiceSecretBytes. name is where
// the value came from, such as the environment variable. The error
// never contains the value.
func checkServiceSecret(name, value string) error {
	if strings.TrimSpace(value) == "" {
		return usagef("%s is empty or only whitespace; %s", name, makeSecretHint)
	}
	if len(value) < minServiceSecretBytes {
		return usagef("%s is %d bytes, shorter than the %d bytes that repolink requires of the secrets it signs or verifies with; %s",
			name, len(value), minServiceSecretBytes, makeSecretHint)
	}
	return nil
}

// webhookSecretFromEnv returns REPOLINK_WEBHOOK_SECRET, or "" when it is
// not set. up verifies webhook requests with it, and run, redrive,
// teardown and notify sign notifications with it, so all of them reject a
// value that checkServiceSecret rejects.
func webhookSecretFromEnv() (string, error) {
	secret := os.Getenv(envWebhookSecret)
	if secret == "" {
		return "", nil
	}
	if err := checkServiceSecret(envWebhookSecret, secret); err != nil {
		return "", err
	}
	return secret, nil
}
