package webhook

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Authentication types of a ticket source.
const (
	// AuthHMAC is Jira's contract: X-Hub-Signature: sha256=<hex> with the
	// HMAC-SHA256 of the raw body, keyed with the webhook secret.
	AuthHMAC = "hmac"
	// AuthBasic is HTTP basic authentication.
	AuthBasic = "basic"
	// AuthBearer is an Authorization: Bearer token.
	AuthBearer = "bearer"
)

// AuthConfig is the authentication of a ticket source, with credentials given
// as references (env:NAME, file:PATH, aws-secretsmanager:ARN).
type AuthConfig struct {
	// Type is AuthHMAC, AuthBasic or AuthBearer.
	Type        string `json:"type"`
	SecretRef   string `json:"secret_ref,omitempty"`
	Username    string `json:"username,omitempty"`
	PasswordRef string `json:"password_ref,omitempty"`
	TokenRef    string `json:"token_ref,omitempty"`
	// Signature adds a body signature check on top of basic or bearer
	// authentication.
	Signature *BodySignature `json:"signature,omitempty"`
}

// BodySignature is an HMAC-SHA256 of the exact body bytes, sent as a bare
// digest in one header. It fits ServiceNow's
// GlideCertificateEncryption.generateMac(key, "HmacSHA256", body), which
// takes a base64 key and returns a base64 digest (see
// https://www.servicenow.com/community/servicenow-ai-platform-forum/how-to-use-glidecertificateencryption-generatemac-method-to/td-p/1119034).
type BodySignature struct {
	Header string `json:"header"`
	// Encoding of the digest: "hex" or "base64".
	Encoding string `json:"encoding"`
	KeyRef   string `json:"key_ref"`
	// KeyEncoding is "base64" when the referenced key is base64 text to
	// decode first, as generateMac expects, or "raw" to use its bytes.
	KeyEncoding string `json:"key_encoding"`
}

func (a *AuthConfig) check() error {
	switch a.Type {
	case AuthHMAC:
		if a.SecretRef == "" {
			return errors.New("auth.secret_ref is missing; hmac authentication needs the webhook secret")
		}
	case AuthBasic:
		if a.Username == "" || a.PasswordRef == "" {
			return errors.New("auth.username and auth.password_ref are required for basic authentication")
		}
	case AuthBearer:
		if a.TokenRef == "" {
			return errors.New("auth.token_ref is missing; bearer authentication needs a token")
		}
	default:
		return fmt.Errorf("auth.type %q is unknown; use hmac, basic or bearer", a.Type)
	}
	if s := a.Signature; s != nil {
		if s.Header == "" || s.KeyRef == "" {
			return errors.New("auth.signature needs header and key_ref")
		}
		if s.Encoding != EncodingHex && s.Encoding != EncodingBase64 {
			return fmt.Errorf("auth.signature.encoding %q is unknown; use hex or base64", s.Encoding)
		}
		if s.KeyEncoding != "raw" && s.KeyEncoding != "base64" {
			return fmt.Errorf("auth.signature.key_encoding %q is unknown; use raw or base64", s.KeyEncoding)
		}
	}
	return nil
}

// Resolver reads a credential reference.
type Resolver interface {
	Resolve(ctx context.Context, ref string) (string, error)
}

// Source is one ticket system served at POST /v1/hooks/<Name>.
type Source struct {
	Name    string
	Mapping Mapping
	// Authenticate returns a *SignatureError for a delivery that must be
	// rejected with 401.
	Authenticate func(r *http.Request, body []byte) error
}

// NewSource resolves the mapping's credentials and returns the source. An
// empty credential is an error, so that a source never accepts deliveries
// unauthenticated.
func NewSource(ctx context.Context, name string, m Mapping, secrets Resolver) (Source, error) {
	if err := m.check(); err != nil {
		return Source{}, err
	}

	var checks []func(*http.Request, []byte) error
	switch m.Auth.Type {
	case AuthHMAC:
		secret, err := ReadSecret(ctx, secrets, "auth.secret_ref", m.Auth.SecretRef)
		if err != nil {
			return Source{}, err
		}
		checks = append(checks, func(r *http.Request, body []byte) error {
			return VerifyHubSignature(secret, r.Header.Get(HeaderHubSignature), body)
		})
	case AuthBasic:
		password, err := ReadSecret(ctx, secrets, "auth.password_ref", m.Auth.PasswordRef)
		if err != nil {
			return Source{}, err
		}
		checks = append(checks, basicAuth(m.Auth.Username, password))
	case AuthBearer:
		token, err := ReadSecret(ctx, secrets, "auth.token_ref", m.Auth.TokenRef)
		if err != nil {
			return Source{}, err
		}
		checks = append(checks, bearerAuth(token))
	}
	if s := m.Auth.Signature; s != nil {
		key, err := ReadSecret(ctx, secrets, "auth.signature.key_ref", s.KeyRef)
		if err != nil {
			return Source{}, err
		}
		if s.KeyEncoding == "base64" {
			if key, err = base64.StdEncoding.DecodeString(strings.TrimSpace(string(key))); err != nil {
				return Source{}, errors.New("$.auth.signature.key_ref: the referenced key is not base64 text; store the key base64-encoded, or set auth.signature.key_encoding to raw")
			}
			if len(key) < MinSecretBytes {
				return Source{}, fmt.Errorf("$.auth.signature.key_ref: the referenced key is shorter than %d bytes after base64 decoding; "+
					"replace it with a random key of at least %d bytes", MinSecretBytes, MinSecretBytes)
			}
		}
		checks = append(checks, func(r *http.Request, body []byte) error {
			return VerifyBodyMAC(key, s.Header, r.Header.Get(s.Header), s.Encoding, body)
		})
	}

	return Source{Name: name, Mapping: m, Authenticate: func(r *http.Request, body []byte) error {
		for _, check := range checks {
			if err := check(r, body); err != nil {
				return err
			}
		}
		return nil
	}}, nil
}

// MinSecretBytes is the minimum length of a credential that a mapping
// references, the same as for the webhook secret and the API token:
// 16 random bytes are 128 bits, too many to guess by trying.
const MinSecretBytes = 16

// ReadSecret resolves ref, the credential reference at field of a mapping,
// such as auth.secret_ref. An empty secret or one shorter than
// MinSecretBytes is an error, so that no source accepts deliveries
// unauthenticated or with a credential too short to resist guessing. The
// length check cannot tell a random value from a guessable one of the same
// length. The error names the field by
// its JSON path and the change that fixes it, and never contains the
// value.
func ReadSecret(ctx context.Context, secrets Resolver, field, ref string) ([]byte, error) {
	fix := "store the secret that it references, or change the reference"
	if variable, ok := strings.CutPrefix(ref, "env:"); ok {
		fix = "set the environment variable " + variable + ", or change the reference"
	} else if path, ok := strings.CutPrefix(ref, "file:"); ok {
		fix = "write the secret to " + path + ", or change the reference"
	}
	value, err := secrets.Resolve(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("$.%s: %w; %s", field, err, fix)
	}
	if value == "" {
		return nil, fmt.Errorf("$.%s: the secret that %s references is empty; %s", field, ref, fix)
	}
	if len(value) < MinSecretBytes {
		return nil, fmt.Errorf("$.%s: the secret that %s references is shorter than %d bytes; "+
			"replace it with a random value of at least %d bytes, such as the output of: openssl rand -hex 32",
			field, ref, MinSecretBytes, MinSecretBytes)
	}
	return []byte(value), nil
}

func basicAuth(user string, password []byte) func(*http.Request, []byte) error {
	return func(r *http.Request, _ []byte) error {
		gotUser, gotPassword, ok := r.BasicAuth()
		if !ok {
			return &SignatureError{Reason: "missing basic authorization"}
		}
		userOK := subtle.ConstantTimeCompare([]byte(gotUser), []byte(user)) == 1
		passwordOK := subtle.ConstantTimeCompare([]byte(gotPassword), password) == 1
		if !userOK || !passwordOK {
			return &SignatureError{Reason: "wrong user name or password"}
		}
		return nil
	}
}

func bearerAuth(token []byte) func(*http.Request, []byte) error {
	return func(r *http.Request, _ []byte) error {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return &SignatureError{Reason: "missing bearer authorization"}
		}
		if subtle.ConstantTimeCompare([]byte(got), token) != 1 {
			return &SignatureError{Reason: "wrong bearer token"}
		}
		return nil
	}
}

// serveSource handles one ticket system's delivery. An authenticated
// delivery that the mapping understands gets a 2xx response, duplicates and
// conflicts included, because ticket systems redeliver after other statuses.
func (h *Handler) serveSource(w http.ResponseWriter, r *http.Request, src Source) {
	body, ok := h.readBody(w, r, src.Name, MaxDelivery, src.Mapping.DeliveryIDHeader)
	if !ok {
		return
	}
	if err := src.Authenticate(r, body); err != nil {
		h.unauthorized(w, src.Name, err)
		return
	}
	ticket, err := src.Mapping.Map(body)
	if err != nil {
		h.invalid(w, src.Name, err)
		return
	}
	if ticket.Ignored != "" {
		h.log.Info("ticket event ignored", "source", src.Name, "event", ticket.Event, "reason", ticket.Ignored)
		writeJSON(w, http.StatusOK, Response{Status: "IGNORED", Reason: ticket.Ignored})
		return
	}
	d := Delivery{Source: src.Name, Ticket: ticket.ID, Event: ticket.Event}
	if src.Mapping.DeliveryIDHeader != "" {
		d.DeliveryID = r.Header.Get(src.Mapping.DeliveryIDHeader)
	}
	h.accept(w, r, d, ticket.Request, true)
}
