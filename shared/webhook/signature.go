package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of repolink's own signing contract, used by the request webhook
// and by the notifications that repolink sends.
const (
	// HeaderTimestamp holds the signing time in Unix seconds.
	HeaderTimestamp = "X-Repolink-Timestamp"
	// HeaderSignature holds "sha256=" and the hex HMAC-SHA256 of
	// "<timestamp>.<body>".
	HeaderSignature = "X-Repolink-Signature"
	// HeaderHubSignature is the header that Jira Cloud signs deliveries
	// with: "sha256=" and the hex HMAC-SHA256 of the raw body.
	HeaderHubSignature = "X-Hub-Signature"
)

// MaxAge is how far a signed timestamp may be from the receiver's clock, in
// either direction, before the delivery is rejected as stale.
const MaxAge = 5 * time.Minute

// ReplayClockSkew is how far apart the clocks of the receivers that share
// a delivery store may be. A replay record lasts until the signed time plus
// MaxAge plus this skew, because until then some receiver may still accept
// the signature.
const ReplayClockSkew = time.Minute

// SignatureError is a delivery that failed authentication. Reason names the
// check that failed and contains no secret and no expected value.
type SignatureError struct {
	Reason string
}

func (e *SignatureError) Error() string { return "authentication failed: " + e.Reason }

// Sign returns the X-Repolink-Signature value for body signed at ts.
func Sign(secret []byte, ts time.Time, body []byte) string {
	return "sha256=" + hex.EncodeToString(signedMAC(secret, strconv.FormatInt(ts.Unix(), 10), body))
}

// SetSignature sets the timestamp and signature headers of an outgoing
// request whose body is body.
func SetSignature(h http.Header, secret []byte, now time.Time, body []byte) {
	h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(HeaderSignature, Sign(secret, now, body))
}

func signedMAC(secret []byte, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifyTimestamped checks the X-Repolink-Timestamp and X-Repolink-Signature
// headers of a delivery against body. It returns a *SignatureError when a
// header is missing or malformed, the timestamp is more than MaxAge away
// from now, or the signature does not match.
func VerifyTimestamped(secret []byte, h http.Header, body []byte, now time.Time) error {
	rawTS := h.Get(HeaderTimestamp)
	if rawTS == "" {
		return &SignatureError{Reason: "missing " + HeaderTimestamp + " header"}
	}
	sig := h.Get(HeaderSignature)
	if sig == "" {
		return &SignatureError{Reason: "missing " + HeaderSignature + " header"}
	}
	seconds, err := parseUnixSeconds(rawTS)
	if err != nil {
		return &SignatureError{Reason: HeaderTimestamp + " must be Unix seconds: decimal digits with no sign and no leading zero"}
	}
	age := now.Sub(time.Unix(seconds, 0))
	if age > MaxAge || age < -MaxAge {
		return &SignatureError{Reason: fmt.Sprintf("%s is more than %s away from the receiver's clock", HeaderTimestamp, MaxAge)}
	}
	got, err := decodeSHA256(sig, hex.DecodeString)
	if err != nil {
		return &SignatureError{Reason: HeaderSignature + " " + err.Error()}
	}
	if !hmac.Equal(got, signedMAC(secret, rawTS, body)) {
		return &SignatureError{Reason: HeaderSignature + " does not match the body and timestamp"}
	}
	return nil
}

// RequestReplay returns the Delivery.ReplayKey and Delivery.ReplayUntil of
// a delivery of POST /v1/requests whose headers VerifyTimestamped accepted
// for body.
func RequestReplay(h http.Header, body []byte) (key string, until time.Time) {
	return replayKey("request", h.Get(HeaderTimestamp), body), RequestSignedAt(h).Add(MaxAge + ReplayClockSkew)
}

// RequestSignedAt returns the Delivery.SignedAt of a delivery of POST
// /v1/requests whose headers VerifyTimestamped accepted: its
// X-Repolink-Timestamp, in whole seconds.
func RequestSignedAt(h http.Header) time.Time {
	seconds, _ := parseUnixSeconds(h.Get(HeaderTimestamp))
	return time.Unix(seconds, 0)
}

// replayKey returns the Delivery.ReplayKey of an authenticated delivery
// of source with the signed timestamp rawTS. It hashes the signed bytes
// rather than the signature header, so that another spelling of the same
// digest, such as upper-case hex, is the same key.
func replayKey(source, rawTS string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(rawTS))
	h.Write([]byte{'.'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// parseUnixSeconds reads a timestamp in the one form that SetSignature
// writes. strconv.ParseInt also accepts a sign and leading zeros, so
// several header values would otherwise sign as different strings for
// the same time.
func parseUnixSeconds(raw string) (int64, error) {
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("timestamp %q contains a character other than a decimal digit", raw)
		}
	}
	if len(raw) > 1 && raw[0] == '0' {
		return 0, fmt.Errorf("timestamp %q has a leading zero", raw)
	}
	return strconv.ParseInt(raw, 10, 64)
}

// VerifyHubSignature checks a Jira-style "sha256=<hex>" signature over the
// raw body. Other methods, such as sha1, are rejected.
func VerifyHubSignature(secret []byte, value string, body []byte) error {
	if value == "" {
		return &SignatureError{Reason: "missing " + HeaderHubSignature + " header"}
	}
	got, err := decodeSHA256(value, hex.DecodeString)
	if err != nil {
		return &SignatureError{Reason: HeaderHubSignature + " " + err.Error()}
	}
	if !hmac.Equal(got, bodyMAC(secret, body)) {
		return &SignatureError{Reason: HeaderHubSignature + " does not match the body"}
	}
	return nil
}

func bodyMAC(secret, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return mac.Sum(nil)
}

// decodeSHA256 reads "sha256=<digest>" and decodes the digest.
func decodeSHA256(value string, decode func(string) ([]byte, error)) ([]byte, error) {
	method, digest, ok := strings.Cut(value, "=")
	if !ok || method != "sha256" {
		return nil, fmt.Errorf("must have the form sha256=<digest>")
	}
	got, err := decode(digest)
	if err != nil || len(got) != sha256.Size {
		return nil, fmt.Errorf("has a malformed digest")
	}
	return got, nil
}

// Digest encodings for body signatures of other sources.
const (
	EncodingHex    = "hex"
	EncodingBase64 = "base64"
)

// VerifyBodyMAC checks an HMAC-SHA256 of the raw body sent in one header,
// as the bare digest in hex or standard base64. It is the optional body
// signature of the ServiceNow source.
func VerifyBodyMAC(key []byte, header, value, encoding string, body []byte) error {
	if value == "" {
		return &SignatureError{Reason: "missing " + header + " header"}
	}
	var got []byte
	var err error
	switch encoding {
	case EncodingBase64:
		got, err = base64.StdEncoding.DecodeString(value)
	default:
		got, err = hex.DecodeString(value)
	}
	if err != nil || len(got) != sha256.Size {
		return &SignatureError{Reason: header + " is not a " + encoding + " HMAC-SHA256 digest"}
	}
	if !hmac.Equal(got, bodyMAC(key, body)) {
		return &SignatureError{Reason: header + " does not match the body"}
	}
	return nil
}
