package proxyvm

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
)

// TestCheckSettingsNamesRunningExecution checks that the teardown advice
// names the execution that runs the check, the request's latest run, and
// not the earlier one that the VM's tag records.
func TestCheckSettingsNamesRunningExecution(t *testing.T) {
	settings := []Setting{{Field: "azure.vm_size", Tag: TagMachine, Value: "Standard_B2s"}}
	tags := map[string]string{cloud.TagExecution: "DATA-1", TagMachine: "Standard_B1s"}

	err := CheckSettings("vm-1", "DATA-1-r2", tags, settings)
	if err == nil {
		t.Fatal("CheckSettings passed a changed vm_size")
	}
	if want := "'repolink teardown DATA-1-r2'"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %s", err, want)
	}

	err = CheckSettings("vm-1", "", tags, settings)
	if err == nil {
		t.Fatal("CheckSettings without an execution passed a changed vm_size")
	}
	if strings.Contains(err.Error(), "DATA-1") {
		t.Errorf("error %q names the execution of the tag, which a teardown may reject", err)
	}
}
