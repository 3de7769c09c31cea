package request

import (
	"errors"
	"strings"
	"testing"
)

func TestNotifyURLRejectsInternalHosts(t *testing.T) {
	for _, url := range []string{
		"https://169.254.169.254/latest/meta-data/",
		"https://[fd00:ec2::254]/",
		"https://[::ffff:169.254.169.254]/",
		"https://0.0.0.0/hook",
		"https://10.0.0.5/hook",
		"https://192.168.1.10:8443/hook",
		"https://100.100.100.200/",
		"https://metadata.google.internal/computeMetadata/v1/",
		"https://METADATA.GOOGLE.INTERNAL./",
		"https://metadata.goog/",
		"https://instance-data/latest/",
		"https://hooks.localhost/",
		"https://2130706433/hook",
		"https://0x7f000001/hook",
	} {
		doc := strings.Replace(validJSON(), `"route"`, `"notify": {"url": "`+url+`"}, "route"`, 1)
		_, err := Parse([]byte(doc))
		var invalid *ValidationError
		if !errors.As(err, &invalid) || len(invalid.Fields) != 1 {
			t.Errorf("notify.url %s: error = %v, want one field error", url, err)
			continue
		}
		if got := invalid.Fields[0].Path; got != "$.notify.url" {
			t.Errorf("notify.url %s: path = %q, want $.notify.url", url, got)
		}
	}
}

func TestNotifyURLAcceptsLoopbackForSandbox(t *testing.T) {
	for _, url := range []string{"https://127.0.0.1:8443/hook", "https://localhost/hook", "https://203.0.113.7/hook"} {
		doc := strings.Replace(validJSON(), `"route"`, `"notify": {"url": "`+url+`"}, "route"`, 1)
		if _, err := Parse([]byte(doc)); err != nil {
			t.Errorf("notify.url %s: %v", url, err)
		}
	}
}
