package httpapi_test

import (
	"net/http"
	"testing"
)

// TestWebhookRejectsCredentialOnOtherHost checks that a delivery whose
// index password names the secret of a live request of another ID, with
// another index host, is rejected, and that another host with a
// credential of its own passes. Once the first request is torn down, the
// credential belongs to the index host of the next request that uses it.
func TestWebhookRejectsCredentialOnOtherHost(t *testing.T) {
	f := newTeardownFixture(t)
	f.provisioned(t, readExample(t))
	sameSecret := []string{`secret:repolink/index-password"`, `secret:repolink/index-password#password"`}
	noDefault := []string{`"default_for": "schema"`, `"default_for": "none"`}
	teamHost := []string{"pypi.corp.example.com", "pypi.team.example.net"}
	borrowed := otherRequest(t, "DATA-4712", append(append(append(teamHost, otherName...), noDefault...), sameSecret...)...)

	got := f.deliver(t, "other host with the same secret", borrowed, http.StatusConflict)
	checkRejectedBy(t, "other host with the same secret", got, "DATA-4711")
	checkContains(t, "other host with the same secret", got.Error,
		"request DATA-4712 references in $.repository.auth.password_ref the secret that request DATA-4711 references in "+
			"$.repository.auth.password_ref in execution DATA-4711 (SUCCEEDED)",
		"This request would send it to pypi.team.example.net",
		"set $.repository.index_url to a URL on pypi.corp.example.com, the index host of request DATA-4711, "+
			"or reference a secret of this request's own in $.repository.auth.password_ref",
		"send the request again")
	f.checkNotStarted(t, "DATA-4712")

	ownSecret := otherRequest(t, "DATA-4713", "pypi.corp.example.com", "pypi.own.example.net", `"name": "corp_pypi"`, `"name": "own_pypi"`,
		noDefault[0], noDefault[1], `secret:repolink/index-password"`, `secret:repolink/own-index-password"`)
	got = f.deliver(t, "other host with its own secret", ownSecret, http.StatusAccepted)
	if got.Execution != "DATA-4713" {
		t.Errorf("other host with its own secret: execution %q, want DATA-4713 (error %q)", got.Execution, got.Error)
	}

	f.release()
	f.startTeardown(t, "DATA-4711-teardown", "DATA-4711")
	f.wait(t, "DATA-4711-teardown")
	got = f.deliver(t, "after the teardown", borrowed, http.StatusAccepted)
	if got.Execution != "DATA-4712" {
		t.Errorf("after the teardown: execution %q, want DATA-4712 (error %q)", got.Execution, got.Error)
	}
	f.wait(t, "DATA-4712")

	firstHost := otherRequest(t, "DATA-4714", `"account": "myorg-analytics"`, `"account": "myorg-other"`)
	got = f.deliver(t, "first host after the teardown", firstHost, http.StatusConflict)
	checkContains(t, "first host after the teardown", got.Error,
		"request DATA-4714 references in $.repository.auth.password_ref the secret that request DATA-4712 references",
		"set $.repository.index_url to a URL on pypi.team.example.net")
}
