package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// prefixOnExampleHost makes a request that lists the example's index host
// in repository.extra_allowed_prefixes, with its own repository, index
// host, index password and no default level.
var prefixOnExampleHost = []string{
	`"name": "corp_pypi"`, `"name": "xp"`,
	`"default_for": "schema"`, `"default_for": "none"`,
	`"index_url": "https://pypi.corp.example.com/simple/"`,
	`"index_url": "https://pypi.public.example.com/simple/", "extra_allowed_prefixes": ["https://cdn.example.com/", "https://pypi.corp.example.com/"]`,
	`"upstream": "pypi.corp.example.com:443"`, `"upstream": "pypi.public.example.com:443"`,
	ownSecret[0], ownSecret[1],
}

func TestWebhookRejectsPrefixOnOtherRequestsHost(t *testing.T) {
	f := newTeardownFixture(t)
	f.provisioned(t, readExample(t))

	got := f.deliver(t, "prefix lister", otherRequest(t, "XP-1", prefixOnExampleHost...), http.StatusConflict)
	checkRejectedBy(t, "prefix lister", got, "DATA-4711")
	checkContains(t, "prefix lister", got.Error,
		"request XP-1 lists the host pypi.corp.example.com in $.repository.extra_allowed_prefixes[1], "+
			"which in Snowflake account myorg-analytics is the index host of the private endpoint of request DATA-4711",
		"remove pypi.corp.example.com from $.repository.extra_allowed_prefixes[1]")
	f.checkNotStarted(t, "XP-1")
}

func TestWebhookAllowsPrefixInOtherAccount(t *testing.T) {
	f := newTeardownFixture(t)
	f.provisioned(t, readExample(t))

	replacements := append([]string{`"account": "myorg-analytics"`, `"account": "myorg-other"`}, prefixOnExampleHost...)
	got := f.deliver(t, "prefix lister in another account", otherRequest(t, "XP-2", replacements...), http.StatusAccepted)
	if got.Execution != "XP-2" {
		t.Errorf("execution %q, want XP-2 (error %q)", got.Execution, got.Error)
	}
}

func TestWebhookRejectsAccountWithSuffix(t *testing.T) {
	f := newTeardownFixture(t)
	f.provisioned(t, readExample(t))

	body := otherRequest(t, "DEF-2", otherObjectsAndHost...)
	body = []byte(strings.Replace(string(body), `"account": "myorg-analytics"`, `"account": "myorg-analytics.us-west-2"`, 1))
	got := f.deliver(t, "account with suffix", body, http.StatusBadRequest)
	found := false
	for _, e := range got.Errors {
		if e.Path == "$.snowflake.account" && strings.Contains(e.Message, "write myorg-analytics without the suffix") {
			found = true
		}
	}
	if !found {
		t.Errorf("errors %+v (error %q), want one at $.snowflake.account", got.Errors, got.Error)
	}
	f.checkNotStarted(t, "DEF-2")
}
