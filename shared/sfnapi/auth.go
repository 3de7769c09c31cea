package sfnapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Credentials are the access key pair that clients sign requests with.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// maxClockSkew is how far a request's X-Amz-Date may be from the server's clock.
const maxClockSkew = 15 * time.Minute

// sigV4 is the algorithm name in the Authorization header.
const sigV4 = "AWS4-HMAC-SHA256"

// authorization is a parsed Signature Version 4 Authorization header.
type authorization struct {
	accessKeyID   string
	scope         string // date/region/service/aws4_request
	date          string
	signedHeaders []string
	signature     string
}

// signingService is the service name in the credential scope of Step
// Functions requests.
const signingService = "states"

func parseAuthorization(header string) (authorization, error) {
	rest, ok := strings.CutPrefix(header, sigV4+" ")
	if !ok {
		return authorization{}, fmt.Errorf("the request is not signed with %s", sigV4)
	}
	var a authorization
	for part := range strings.SplitSeq(rest, ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch key {
		case "Credential":
			id, scope, _ := strings.Cut(value, "/")
			a.accessKeyID, a.scope = id, scope
			a.date, _, _ = strings.Cut(scope, "/")
		case "SignedHeaders":
			a.signedHeaders = strings.Split(value, ";")
		case "Signature":
			a.signature = value
		}
	}
	if a.accessKeyID == "" || strings.Count(a.scope, "/") != 3 || len(a.signedHeaders) == 0 || a.signature == "" {
		return authorization{}, fmt.Errorf("the Authorization header lacks Credential, SignedHeaders or Signature")
	}
	if !slices.Contains(a.signedHeaders, "host") {
		return authorization{}, fmt.Errorf("the signature must cover the host header")
	}

	// The scope is date/region/service/aws4_request. Any region is accepted,
	// because clients sign with the region they are configured for, but a
	// signature for another service is not meant for this API.
	parts := strings.Split(a.scope, "/")
	if parts[2] != signingService || parts[3] != "aws4_request" {
		return authorization{}, fmt.Errorf("the credential scope %q is not for the %s service; sign the request for the service %q", a.scope, signingService, signingService)
	}
	return a, nil
}

// verify checks the Signature Version 4 signature of r, whose body is
// body, against creds. It returns an *apiError in the shape that AWS
// returns for a missing, unknown or wrong signature.
func verify(r *http.Request, body []byte, creds Credentials, now time.Time) error {
	deny := func(typ, format string, args ...any) error {
		return &apiError{Type: typ, Status: http.StatusForbidden, Message: fmt.Sprintf(format, args...)}
	}
	header := r.Header.Get("Authorization")
	if header == "" {
		return deny("MissingAuthenticationTokenException", "the request is not signed; sign it with the access key %s and the API token as the secret key", creds.AccessKeyID)
	}
	a, err := parseAuthorization(header)
	if err != nil {
		return deny("IncompleteSignatureException", "%v", err)
	}
	if unsigned := unsignedAmzHeaders(r.Header, a.signedHeaders); len(unsigned) > 0 {
		return deny("IncompleteSignatureException",
			"the signature must cover every x-amz-* header of the request, but SignedHeaders lacks %s; sign the request again with them",
			strings.Join(unsigned, ", "))
	}
	if a.accessKeyID != creds.AccessKeyID {
		return deny("UnrecognizedClientException", "the access key ID is not %s", creds.AccessKeyID)
	}
	stamp := r.Header.Get("X-Amz-Date")
	signedAt, err := time.Parse("20060102T150405Z", stamp)
	if err != nil || !strings.HasPrefix(stamp, a.date) {
		return deny("IncompleteSignatureException", "X-Amz-Date %q is not a timestamp of the credential's day", stamp)
	}
	if skew := now.Sub(signedAt); skew > maxClockSkew || skew < -maxClockSkew {
		return deny("InvalidSignatureException", "the signature was made at %s, more than %s from the server's clock", stamp, maxClockSkew)
	}
	want := signature(canonicalRequest(r, body, a.signedHeaders), stamp, a.scope, creds.SecretAccessKey)
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return deny("InvalidSignatureException", "the request signature does not match; check the secret key, which is the API token")
	}
	return nil
}

// unsignedAmzHeaders returns the lower-case names of the x-amz-* headers
// of header that signed does not list, sorted. Signature Version 4
// requires every x-amz-* header of a request to be signed. Without that,
// a signature made without X-Amz-Target could be replayed as another
// operation, and X-Amz-Date, X-Amz-Content-Sha256 and
// X-Amz-Security-Token could be changed.
//
// NOTE: Content-Type need not be signed, because it is unconfirmed whether
// AWS requires that. aws-sdk-go-v2 v1.48.0 signs it anyway.
func unsignedAmzHeaders(header http.Header, signed []string) []string {
	var unsigned []string
	for name := range header {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "x-amz-") && !slices.Contains(signed, lower) {
			unsigned = append(unsigned, lower)
		}
	}
	slices.Sort(unsigned)
	return unsigned
}

// canonicalRequest builds the canonical request of Signature Version 4
// over the headers that the client signed.
func canonicalRequest(r *http.Request, body []byte, signed []string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(path + "\n")
	b.WriteString(canonicalQuery(r.URL.Query()) + "\n")
	for _, name := range signed {
		var values []string
		if name == "host" {
			values = []string{r.Host}
		} else {
			values = r.Header.Values(name)
		}
		for i, v := range values {
			values[i] = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(name + ":" + strings.Join(values, ",") + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n")
	sum := sha256.Sum256(body)
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String()
}

func canonicalQuery(q url.Values) string {
	var pairs []string
	for key, values := range q {
		for _, v := range values {
			pairs = append(pairs, awsEscape(key)+"="+awsEscape(v))
		}
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "&")
}

// awsEscape percent-encodes everything but the unreserved characters.
func awsEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// signature derives the signing key of scope from secret and signs the
// canonical request.
func signature(canonical, stamp, scope, secret string) string {
	sum := sha256.Sum256([]byte(canonical))
	toSign := sigV4 + "\n" + stamp + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + secret)
	for part := range strings.SplitSeq(scope, "/") {
		key = hmacSHA256(key, part)
	}
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(data))
	return mac.Sum(nil)
}
