package azuresim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"
)

// The sandbox's catalogue of locations, VM sizes and marketplace images. It
// is a small sample of Azure's: a PUT that names a value outside it fails
// as Resource Manager fails for one that does not exist.
var (
	// Public Azure regions, from the location list that Resource Manager
	// returns in its LocationNotAvailableForResourceGroup message.
	knownLocations = []string{
		"australiacentral", "australiacentral2", "australiaeast", "australiasoutheast", "brazilsouth",
		"canadacentral", "canadaeast", "centralindia", "centralus", "eastasia", "eastus", "eastus2",
		"francecentral", "germanywestcentral", "israelcentral", "italynorth", "japaneast", "japanwest",
		"jioindiawest", "koreacentral", "koreasouth", "mexicocentral", "newzealandnorth", "northcentralus",
		"northeurope", "norwayeast", "polandcentral", "qatarcentral", "southafricanorth", "southcentralus",
		"southeastasia", "southindia", "spaincentral", "swedencentral", "switzerlandnorth", "uaenorth",
		"uksouth", "ukwest", "westcentralus", "westeurope", "westindia", "westus", "westus2", "westus3",
	}
	knownVMSizes = []string{
		"Basic_A0", "Standard_A1_v2", "Standard_A2_v2", "Standard_B1ls", "Standard_B1s", "Standard_B1ms",
		"Standard_B2s", "Standard_B2ms", "Standard_B2ats_v2", "Standard_D2s_v3", "Standard_D2s_v5",
		"Standard_D2as_v5", "Standard_DS1_v2", "Standard_E4-2s_v3", "Standard_F2s_v2",
	}
	// Marketplace images as publisher:offer:sku, of any version.
	knownImages = []string{
		"Canonical:ubuntu-24_04-lts:server",
		"Canonical:0001-com-ubuntu-server-jammy:22_04-lts",
		"Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2",
		"Debian:debian-12:12",
		"Debian:debian-12:12-gen2",
	}
	imageVersionPattern = regexp.MustCompile(`^(latest|[0-9]+(\.[0-9]+)*)$`)
)

// checkLocation rejects a location outside the catalogue.
func checkLocation(id, location string) error {
	if location == "" || containsFold(knownLocations, location) {
		return nil
	}
	return errorf(http.StatusBadRequest, "LocationNotAvailableForResourceType",
		"The provided location '%s' is not available for resource %s. List of available regions is '%s'.",
		location, id, strings.Join(knownLocations, ","))
}

// checkVMSizeAndImage rejects a VM whose size or image the catalogue does
// not have.
//
// NOTE: the code InvalidParameter and the message for an unknown size
// follow what Azure users report from Resource Manager, but the target
// vmSize is unconfirmed, and so is the status 400 for PlatformImageNotFound.
// Microsoft's "Resolve errors for SKU not available" names SkuNotAvailable
// only for a size that exists but is not offered in the location or
// subscription.
func checkVMSizeAndImage(id string, props *armcompute.VirtualMachineProperties) error {
	size := string(*props.HardwareProfile.VMSize)
	if !containsFold(knownVMSizes, size) {
		err := invalid("The value %s provided for the VM size is not valid. The valid sizes in the current region are: %s.", size, strings.Join(knownVMSizes, ","))
		err.target = "vmSize"
		return err
	}
	if props.StorageProfile == nil || props.StorageProfile.ImageReference == nil {
		return invalid("Virtual machine %s needs storageProfile.imageReference.", id)
	}
	image := props.StorageProfile.ImageReference
	if imageID := str(image.ID); imageID != "" {
		// The sandbox world holds no managed or gallery images.
		return invalid("Image %s referenced by virtual machine %s was not found.", imageID, id)
	}
	urn := strings.Join([]string{str(image.Publisher), str(image.Offer), str(image.SKU)}, ":")
	if !containsFold(knownImages, urn) || !imageVersionPattern.MatchString(str(image.Version)) {
		return errorf(http.StatusBadRequest, "PlatformImageNotFound",
			"The platform image '%s:%s' is not available. The sandbox offers %s, each with version latest or a number.",
			urn, str(image.Version), strings.Join(knownImages, ", "))
	}
	return nil
}

func containsFold(list []string, value string) bool {
	return slices.ContainsFunc(list, func(item string) bool { return strings.EqualFold(item, value) })
}

// checkBodyLocation rejects a PUT body whose location is outside the
// catalogue. A body that does not parse is left to the resource's preparer.
func checkBodyLocation(id string, body []byte) error {
	var resource struct {
		Location string `json:"location"`
	}
	if err := json.Unmarshal(body, &resource); err != nil {
		return nil
	}
	return checkLocation(id, resource.Location)
}

// listVMSizes returns the catalogue's VM sizes as Virtual Machine Sizes -
// List does, for any location of the catalogue. Each entry has only the
// name, and Resource Manager also returns the cores, memory and disk
// limits, which repolink does not read.
//
// NOTE: the error for a location outside the catalogue follows the one of a
// PUT there, and Resource Manager's response to this call is unconfirmed.
func listVMSizes(location string) (*response, error) {
	if !containsFold(knownLocations, location) {
		return nil, errorf(http.StatusBadRequest, "LocationNotAvailableForResourceType",
			"The provided location '%s' is not available for resource type 'Microsoft.Compute/locations/vmSizes'. List of available regions is '%s'.",
			location, strings.Join(knownLocations, ","))
	}
	values := make([]any, 0, len(knownVMSizes))
	for _, name := range knownVMSizes {
		values = append(values, map[string]any{"name": name})
	}
	return ok(map[string]any{"value": values}), nil
}
