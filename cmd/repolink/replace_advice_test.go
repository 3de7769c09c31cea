package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
)

// TestReplaceConflictAdvice checks the next action of a run that failed on
// a proxy VM whose settings the cloud does not change in place, with the
// causes that the Azure login check and the proxy VM settings check
// return. A redrive fails the same way, so status and the run summary
// must advise the teardown and a new run, and no redrive.
func TestReplaceConflictAdvice(t *testing.T) {
	causes := map[string]string{
		"admin user": "proxy_vm: proxy VM /subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm " +
			"has the administrator azureuser, but azure.admin_username is repolink; " +
			"Azure does not change the login settings of a VM, so run 'repolink teardown U-2' and run the request again",
		"ssh key": "proxy_vm: proxy VM vm accepts no SSH public key for repolink, but the request has the SSH public key " +
			"ssh-ed25519 SHA256:abc in azure.ssh_public_key; " +
			"Azure does not change the login settings of a VM, so run 'repolink teardown U-2' and run the request again",
		"upstream": "proxy_vm: proxy VM i-1 forwards to pypi.corp.example.com:443, but aws.upstream is pypi2.corp.example.com:443; " +
			"the proxy VM is not changed in place, so run 'repolink teardown U-2' and run the request again",
	}
	for name, cause := range causes {
		x := engine.Execution{Name: "U-2", Machine: provisionMachine, Status: engine.StatusFailed, Error: "Conflict",
			Cause: cause, Input: json.RawMessage(`{"request": {"id": "U-2"}, "resources": {}}`)}

		var status strings.Builder
		printStatus(&status, x, newView(x), " --sandbox")
		next := textField(status.String(), "next:")
		if strings.Contains(next, "repolink redrive") {
			t.Errorf("%s: status next offers a redrive: %s", name, next)
		}
		if !strings.Contains(next, "run 'repolink teardown --sandbox U-2', then run 'repolink run --sandbox REQUEST'") {
			t.Errorf("%s: status next lacks the teardown and the new run: %s", name, next)
		}

		var summary bytes.Buffer
		p := newProgress(&summary)
		p.flags = " --sandbox"
		p.summary(x)
		summaryNext := textField(summary.String(), "  next:")
		if summaryNext == "" {
			t.Errorf("%s: run summary has no next line:\n%s", name, summary.String())
		}
		if strings.Contains(summaryNext, "repolink redrive") {
			t.Errorf("%s: run summary next offers a redrive: %s", name, summaryNext)
		}
	}
}

// TestResolvableConflictAdvice checks that a Conflict that a fix outside
// the request resolves, such as a name that another request's object
// takes, still offers a redrive.
func TestResolvableConflictAdvice(t *testing.T) {
	x := engine.Execution{Name: "U-3", Machine: provisionMachine, Status: engine.StatusFailed, Error: "Conflict",
		Cause: "secret: secret PLATFORM.PACKAGES.CORP_PYPI_SECRET exists and was not created by repolink",
		Input: json.RawMessage(`{"request": {"id": "U-3"}, "resources": {}}`)}
	var status strings.Builder
	printStatus(&status, x, newView(x), "")
	if next := textField(status.String(), "next:"); !strings.Contains(next, "run 'repolink redrive U-3'") {
		t.Errorf("next lacks the redrive: %s", next)
	}
}
