package request

import (
	"fmt"
	"regexp"
	"strings"
)

// These patterns check only the form of the proxy VM's size, machine type
// and image, so that new sizes and images pass. A well-formed name that does
// not exist fails when the VM is created.
var (
	// Azure VM size names are Standard_ or Basic_ followed by letters,
	// digits, '_' and '-', as in Standard_B1s and Standard_E4-2s_v3. The
	// pattern ignores case and leaves the case of a name to Resource Manager.
	azureVMSizePattern = regexp.MustCompile(`(?i)^(standard|basic)_[a-z0-9][a-z0-9_-]*$`)
	// A marketplace image URN is publisher:offer:sku:version.
	azureURNPartPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	// A managed image or an Azure Compute Gallery image, by resource ID.
	azureImageIDPattern = regexp.MustCompile(`(?i)^/subscriptions/[0-9a-f-]{36}/resourceGroups/[-\w._()]+/providers/Microsoft\.Compute/(images/[\w.-]+|galleries/[\w.]+/images/[\w.-]+(/versions/[\w.-]+)?)$`)

	// Compute Engine resource URLs may start with the API's base URL.
	gcpComputeURLPrefix = regexp.MustCompile(`^https://(www|compute)\.googleapis\.com/compute/v1/`)
	// A machine type path. Project IDs may have a domain prefix, as in
	// example.com:project.
	gcpMachineTypePath = regexp.MustCompile(`^(projects/[a-z][-a-z0-9.:]*[a-z0-9]/)?zones/([a-z0-9-]+)/machineTypes/([a-z][-a-z0-9]*)$`)
	// An image path by name or by family.
	gcpImagePath = regexp.MustCompile(`^(projects/[a-z][-a-z0-9.:]*[a-z0-9]/)?global/images/(family/)?[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)
)

const (
	azureImageForms = "use a marketplace URN publisher:offer:sku:version, such as " + DefaultAzureImage +
		", or the resource ID of a managed image or gallery image, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/images/<name>"
	gcpImageForms = "use projects/<project>/global/images/<name> or projects/<project>/global/images/family/<family>, such as " +
		DefaultGCPImage + ", or global/images/<name> for an image of $.gcp.project"
)

// IsAzureImageID reports whether image is the resource ID of a managed
// image or gallery image rather than a marketplace URN.
func IsAzureImageID(image string) bool {
	return strings.HasPrefix(image, "/")
}

// AzureImageError returns why image is neither a marketplace URN nor an
// image resource ID, or "" when it is one of them.
func AzureImageError(image string) string {
	if IsAzureImageID(image) {
		if !azureImageIDPattern.MatchString(image) {
			return fmt.Sprintf("%q is not the resource ID of an image; %s", image, azureImageForms)
		}
		return ""
	}
	parts := strings.Split(image, ":")
	if len(parts) != 4 {
		return fmt.Sprintf("%q has %d colon-separated parts, not the 4 of publisher:offer:sku:version; %s", image, len(parts), azureImageForms)
	}
	for i, part := range parts {
		if !azureURNPartPattern.MatchString(part) {
			name := []string{"publisher", "offer", "sku", "version"}[i]
			return fmt.Sprintf("%q has the %s %q, which is not letters, digits, '.', '_' and '-'; %s", image, name, part, azureImageForms)
		}
	}
	return ""
}

func (v *validator) azureVMSize(size string) {
	if size != "" && !azureVMSizePattern.MatchString(size) {
		v.add("$.azure.vm_size", fmt.Sprintf("%q is not an Azure VM size name; use a name such as %s, with '_' in place of spaces, or remove the field to use %s",
			size, DefaultAzureVMSize, DefaultAzureVMSize))
	}
}

func (v *validator) azureImage(image string) {
	if image == "" {
		return
	}
	if msg := AzureImageError(image); msg != "" {
		v.add("$.azure.image", msg)
	}
}

func (v *validator) gcpMachineType(machineType, zone string) {
	if machineType == "" {
		return
	}
	if msg := gcpMachineTypeError(machineType, zone); msg != "" {
		v.add("$.gcp.machine_type", msg)
	}
}

func (v *validator) gcpImage(image string) {
	if image == "" {
		return
	}
	path := gcpComputeURLPrefix.ReplaceAllString(image, "")
	if !gcpImagePath.MatchString(path) {
		v.add("$.gcp.image", fmt.Sprintf("%q is not an image path; %s", image, gcpImageForms))
	}
}

// gcpMachineTypeError returns why machineType is not a machine type name
// or a path to one in zone, or "" when it is.
func gcpMachineTypeError(machineType, zone string) string {
	if !strings.Contains(machineType, "/") {
		if !gcpNamePattern.MatchString(machineType) {
			return fmt.Sprintf("%q is not a machine type name; use lower-case letters, digits and hyphens, such as %s", machineType, DefaultGCPMachineType)
		}
		return ""
	}
	path := gcpComputeURLPrefix.ReplaceAllString(machineType, "")
	match := gcpMachineTypePath.FindStringSubmatch(path)
	if match == nil {
		return fmt.Sprintf("%q is not a machine type; use a name such as %s, or zones/%s/machineTypes/<name>", machineType, DefaultGCPMachineType, zone)
	}
	if zone != "" && match[2] != zone {
		return fmt.Sprintf("%q is a machine type of zone %s, but the proxy VM is created in $.gcp.zone %s; use the name %s alone, or zones/%s/machineTypes/%s",
			machineType, match[2], zone, match[3], zone, match[3])
	}
	return ""
}
