package gcf

import "testing"

func TestCheckURLRejectsInternalHosts(t *testing.T) {
	n := &credentialNotices{}
	for _, raw := range []string{
		"https://169.254.169.254/latest/meta-data/",
		"https://metadata.google.internal/computeMetadata/v1/",
		"https://10.0.0.5/hook",
		"https://127.0.0.1:8443/hook",
	} {
		if _, err := n.checkURL(raw); err == nil {
			t.Errorf("checkURL(%s) = nil error, want the host rejected", raw)
		}
	}
	if _, err := n.checkURL("https://hooks.example.com/n"); err != nil {
		t.Errorf("checkURL(public host) = %v, want nil", err)
	}
}
