package gcp

import (
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/workflow"
)

// instanceFields maps the fields of an instance insert that Compute Engine
// names in an HTTP 400 "Invalid value for field '...'" error to the
// request fields they come from, each with the fix. The %s is the zone.
var instanceFields = []struct {
	resourceField string
	fix           string
}{
	{"'resource.machineType'", "set $.gcp.machine_type to a machine type that zone %s offers, such as e2-small; 'gcloud compute machine-types list --zones %[1]s' lists them"},
	{"'resource.disks", "set $.gcp.image to an image that exists, such as projects/debian-cloud/global/images/family/debian-12"},
	{"'resource.networkInterfaces[0].subnetwork'", "set $.gcp.subnet to a subnet of $.gcp.network in the region of zone %s"},
	{"'resource.networkInterfaces[0].network'", "set $.gcp.network to the VPC network of $.gcp.subnet"},
}

// invalidInstanceField returns an InvalidRequest error that names the
// request field behind the instance field that err rejects, or nil when
// err is no such rejection. Compute Engine's own message names only the
// instance field, such as resource.machineType, which the request does not
// have.
func invalidInstanceField(err error, name, project, zone string) error {
	if err == nil || nameOf(err) != workflow.ErrInvalidRequest {
		return nil
	}
	text := describe(err)
	for _, field := range instanceFields {
		if !strings.Contains(text, field.resourceField) {
			continue
		}
		fix := field.fix
		if strings.Contains(fix, "%") {
			fix = fmt.Sprintf(fix, zone)
		}
		return &stepError{named: &workflow.Error{Name: workflow.ErrInvalidRequest,
			Message: fmt.Sprintf("gcp: insert instance %s in project %s: %s; %s", name, project, text, fix)}, cause: err}
	}
	return nil
}
