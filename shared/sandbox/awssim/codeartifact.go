package awssim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ServiceCodeArtifact is the SigV4 signing name of CodeArtifact.
const ServiceCodeArtifact = "codeartifact"

// codeArtifactTokenPath is the REST path of GetAuthorizationToken.
const codeArtifactTokenPath = "/v1/authorization-token"

// Limits of GetAuthorizationToken's duration parameter, in seconds. AWS
// also accepts 0, which ties the token to the caller's role session. The
// sandbox has no sessions, so it gives such a token the default lifetime.
const (
	minTokenSeconds     = 900
	maxTokenSeconds     = 43200
	defaultTokenSeconds = maxTokenSeconds
)

var (
	domainNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,48}[a-z0-9]$`)
	accountPattern    = regexp.MustCompile(`^[0-9]{12}$`)
)

// TokenIssued is called for every CodeArtifact authorization token that the
// server returns, so that the sandbox index can accept it. region is the
// region of the request's SigV4 scope, and token is a credential.
type TokenIssued func(region, domain, owner, token string, expires time.Time)

// serveCodeArtifact serves CodeArtifact's REST-JSON GetAuthorizationToken:
// POST /v1/authorization-token?domain=...&domain-owner=...&duration=...,
// which returns {"authorizationToken": ..., "expiration": <epoch seconds>}.
// Every other CodeArtifact operation is unknown to the sandbox.
func (s *Server) serveCodeArtifact(w http.ResponseWriter, r *http.Request, requestID string) {
	const action = "GetAuthorizationToken"
	if err := s.precheck(r, ServiceCodeArtifact, action); err != nil {
		s.logCall(ServiceCodeArtifact, action, requestID, err)
		writeRESTError(w, err)
		return
	}
	out, err := s.authorizationToken(r)
	s.logCall(ServiceCodeArtifact, action, requestID, err)
	if err != nil {
		writeRESTError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

type authorizationTokenOutput struct {
	AuthorizationToken string `json:"authorizationToken"`
	// Expiration is in epoch seconds, the REST-JSON default for
	// timestamps.
	Expiration int64 `json:"expiration"`
}

func (s *Server) authorizationToken(r *http.Request) (authorizationTokenOutput, error) {
	if r.Method != http.MethodPost {
		return authorizationTokenOutput{}, errorf(http.StatusMethodNotAllowed, "ValidationException", "GetAuthorizationToken takes POST, not %s", r.Method)
	}
	query := r.URL.Query()
	domain, owner := query.Get("domain"), query.Get("domain-owner")
	if !domainNamePattern.MatchString(domain) {
		return authorizationTokenOutput{}, errorf(http.StatusBadRequest, "ValidationException", "domain %q is not a valid domain name", domain)
	}
	if owner == "" {
		owner = s.opts.AccountID
	}
	if !accountPattern.MatchString(owner) {
		return authorizationTokenOutput{}, errorf(http.StatusBadRequest, "ValidationException", "domain-owner %q is not a 12-digit account ID", owner)
	}
	seconds := defaultTokenSeconds
	if raw := query.Get("duration"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || (n != 0 && (n < minTokenSeconds || n > maxTokenSeconds)) {
			return authorizationTokenOutput{}, errorf(http.StatusBadRequest, "ValidationException", "duration %q must be 0 or %d to %d seconds", raw, minTokenSeconds, maxTokenSeconds)
		}
		if n != 0 {
			seconds = n
		}
	}

	raw := make([]byte, 48)
	if _, err := rand.Read(raw); err != nil {
		return authorizationTokenOutput{}, errorf(http.StatusInternalServerError, "InternalServerException", "generate token: %v", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	expires := s.now().Add(time.Duration(seconds) * time.Second).Truncate(time.Second)
	if s.opts.TokenIssued != nil {
		s.opts.TokenIssued(signingRegion(r), domain, owner, token, expires)
	}
	return authorizationTokenOutput{AuthorizationToken: token, Expiration: expires.Unix()}, nil
}

// signingRegion returns the region of the SigV4 credential scope of r,
// which checkSigV4 has checked, or "" when there is none.
func signingRegion(r *http.Request) string {
	_, scope, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	scope, _, _ = strings.Cut(scope, ",")
	// <key id>/<date>/<region>/<service>/aws4_request
	fields := strings.Split(strings.TrimSpace(scope), "/")
	if len(fields) != 5 {
		return ""
	}
	return fields[2]
}

// writeRESTError writes an error in the REST-JSON shape: the code in the
// X-Amzn-ErrorType header and a JSON body with the message.
func writeRESTError(w http.ResponseWriter, err error) {
	apiErr := asAPIError(err)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", apiErr.code)
	w.WriteHeader(apiErr.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": apiErr.message})
}
