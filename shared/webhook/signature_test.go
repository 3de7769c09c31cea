package webhook

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestSignKnownVector(t *testing.T) {
	// Computed with Python: hmac.new(b"test-webhook-secret",
	// b'1800000000.{"id":"DATA-1"}', hashlib.sha256).hexdigest()
	const want = "sha256=87c4bcc1c404f1b54690bfc15f4b7625ecfee8420781d1738f06a99caa5333de"
	if got := Sign(testSecret, testNow, []byte(`{"id":"DATA-1"}`)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerifyTimestampedRoundTrip(t *testing.T) {
	body := []byte(`{"id":"DATA-1"}`)
	h := http.Header{}
	SetSignature(h, testSecret, testNow, body)
	if err := VerifyTimestamped(testSecret, h, body, testNow.Add(MaxAge)); err != nil {
		t.Errorf("signature at the edge of MaxAge rejected: %v", err)
	}
	if err := VerifyTimestamped([]byte("other"), h, body, testNow); err == nil {
		t.Error("signature verified with another secret")
	}
	h.Set(HeaderTimestamp, "1800000001")
	if err := VerifyTimestamped(testSecret, h, body, testNow); err == nil {
		t.Error("signature verified with a changed timestamp")
	}
}

func TestTimestampSignLeadingZeroRejected(t *testing.T) {
	body := []byte(`{"id":"DATA-1"}`)
	for _, ts := range []string{"+1800000000", "01800000000", "+01800000000", "-1800000000", " 1800000000", "1800000000.0", "1e9"} {
		t.Run(ts, func(t *testing.T) {
			h := http.Header{}
			h.Set(HeaderTimestamp, ts)
			h.Set(HeaderSignature, "sha256="+hex.EncodeToString(signedMAC(testSecret, ts, body)))
			err := VerifyTimestamped(testSecret, h, body, testNow)
			var sigErr *SignatureError
			if !errors.As(err, &sigErr) {
				t.Fatalf("VerifyTimestamped = %v, want a *SignatureError", err)
			}
			if !strings.Contains(sigErr.Reason, HeaderTimestamp) {
				t.Errorf("reason %q does not name %s", sigErr.Reason, HeaderTimestamp)
			}
			if !strings.Contains(sigErr.Reason, "no sign and no leading zero") {
				t.Errorf("reason %q does not name the accepted form", sigErr.Reason)
			}
		})
	}
}
