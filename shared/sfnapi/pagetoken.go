package sfnapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Page sizes of the list operations, as in Step Functions.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// Limits of a nextToken. The length limit is that of the Step Functions
// service model, and Step Functions rejects a token after 24 hours.
const (
	maxTokenChars = 1024
	tokenLifetime = 24 * time.Hour
)

// pageKey is the content of a nextToken: the sort key of the last item of
// the page before, and the time the token was issued. The next page starts
// after that key, so items that start between the calls neither repeat
// nor push other items off the page.
type pageKey struct {
	// StartedAt and Name are the sort key of an execution in ListExecutions,
	// in Unix nanoseconds and as the execution name.
	StartedAt int64  `json:"t,omitempty"`
	Name      string `json:"n,omitempty"`
	// EventID is the last event ID of a GetExecutionHistory page.
	EventID int64 `json:"e,omitempty"`
	// IssuedAt is in Unix seconds.
	IssuedAt int64 `json:"i"`
}

// pageSize validates maxResults, the JSON value of the member, and returns
// the page size that it sets. A number in exponent form that is a whole
// number, such as 1e2, is that number, as a JSON number is. A number out
// of range gets the range in its message, however large it is.
func pageSize(maxResults json.RawMessage) (int, error) {
	text := string(maxResults)
	if text == "" || text == "null" {
		return defaultPageSize, nil
	}
	if c := text[0]; c != '-' && (c < '0' || c > '9') {
		return 0, &apiError{Type: "SerializationException",
			Message: fmt.Sprintf("maxResults must be a whole number, not a JSON %s", jsonKind(c))}
	}
	// ParseFloat bounds the work for a number such as 1e999999999, which
	// it reports as out of range, where an exact parse would expand it.
	value, err := strconv.ParseFloat(text, 64)
	var numErr *strconv.NumError
	if err != nil && !(errors.As(err, &numErr) && numErr.Err == strconv.ErrRange) {
		return 0, &apiError{Type: "SerializationException", Message: fmt.Sprintf("maxResults must be a whole number, got %s", text)}
	}
	if err == nil && value != math.Trunc(value) {
		return 0, &apiError{Type: "SerializationException", Message: fmt.Sprintf("maxResults must be a whole number, got %s", text)}
	}
	if err != nil || value < 0 || value > maxPageSize {
		return 0, validation("maxResults must be between 0 and %d, got %s", maxPageSize, text)
	}
	if value == 0 {
		return defaultPageSize, nil
	}
	return int(value), nil
}

// jsonKind returns the kind of the JSON value that starts with c.
func jsonKind(c byte) string {
	switch c {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	}
	return "value"
}

// encodeToken returns the nextToken for key, bound to the operation op
// and its query scope, such as the state machine ARN and the filters.
// The token is the key in base64 and an HMAC of op, scope and key, so a
// token that was changed, forged, or made for another operation or query
// does not verify.
func (h *handler) encodeToken(op, scope string, key pageKey) string {
	key.IssuedAt = h.now().Unix()
	payload, _ := json.Marshal(key) // a pageKey always encodes
	mac := h.tokenMAC(op, scope, payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(mac)
}

// decodeToken verifies a nextToken of op and scope and returns its key.
// An empty token returns the zero key and ok false.
func (h *handler) decodeToken(op, scope, token string) (key pageKey, ok bool, err error) {
	if token == "" {
		return pageKey{}, false, nil
	}
	if len(token) > maxTokenChars {
		return pageKey{}, false, validation("nextToken must have at most %d characters, has %d", maxTokenChars, len(token))
	}
	invalid := &apiError{Type: "InvalidToken",
		Message: "invalid nextToken: it was changed, was made for another operation or query, or was signed with " +
			"a token key that the server no longer has; pass the nextToken that the previous page of the same request returned"}
	encodedPayload, encodedMAC, found := strings.Cut(token, ".")
	if !found {
		return pageKey{}, false, invalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(encodedPayload)
	if err != nil {
		return pageKey{}, false, invalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(encodedMAC)
	if err != nil || !hmac.Equal(mac, h.tokenMAC(op, scope, payload)) {
		return pageKey{}, false, invalid
	}
	if err := json.Unmarshal(payload, &key); err != nil {
		return pageKey{}, false, invalid
	}
	if h.now().Sub(time.Unix(key.IssuedAt, 0)) > tokenLifetime {
		return pageKey{}, false, &apiError{Type: "InvalidToken",
			Message: "nextToken has expired: it is valid for 24 hours, so list again from the first page"}
	}
	return key, true, nil
}

// tokenMAC returns the HMAC-SHA256 of op, scope and payload under the
// handler's token key. Each part is prefixed with its length, so no two
// different parts encode alike.
func (h *handler) tokenMAC(op, scope string, payload []byte) []byte {
	mac := hmac.New(sha256.New, h.tokenKey)
	fmt.Fprintf(mac, "%d:%s%d:%s%d:", len(op), op, len(scope), scope, len(payload))
	mac.Write(payload)
	return mac.Sum(nil)
}
