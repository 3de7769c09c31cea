package webhook

import (
	"net/http"
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
