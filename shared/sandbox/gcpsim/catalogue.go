package gcpsim

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// The sandbox's catalogue of machine types and public images. It is a
// small sample of Compute Engine's: an instance insert that names a value
// outside it fails.
var (
	knownMachineTypes = []string{
		"e2-micro", "e2-small", "e2-medium", "e2-standard-2", "e2-standard-4", "e2-highcpu-2", "e2-highmem-2",
		"f1-micro", "g1-small", "n1-standard-1", "n1-standard-2", "n2-standard-2", "n2-standard-4",
		"n2d-standard-2", "t2d-standard-1", "c3-standard-4",
	}
	// Custom machine types, such as n2-custom-2-4096 and custom-1-1024-ext.
	customMachineType = regexp.MustCompile(`^((e2|n1|n2|n2d)-)?custom-[0-9]+-[0-9]+(-ext)?$`)
	imagePath         = regexp.MustCompile(`^projects/([^/]+)/global/images/(family/)?([^/]+)$`)
	// Image families of public image projects. An image of a family is
	// named after it with a suffix, such as debian-12-bookworm-v20240110.
	knownImageFamilies = map[string][]string{
		"debian-cloud":    {"debian-11", "debian-12"},
		"ubuntu-os-cloud": {"ubuntu-2204-lts", "ubuntu-2404-lts-amd64"},
		"cos-cloud":       {"cos-stable"},
	}
)

// checkMachineType rejects a machine type of another zone than the
// instance's or outside the catalogue.
//
// NOTE: the reason invalid and the status 400 for an unknown machine type
// are assumptions, not confirmed against Compute Engine.
func checkMachineType(project, zone, machineType string) *apiError {
	path := canonical(project, machineType)
	typeZone, name := segment(path, "zones"), segment(path, "machineTypes")
	if typeZone == "" || name == "" {
		return invalid("Invalid value for field 'resource.machineType': '%s'. Must be a URL to a machine type, such as zones/%s/machineTypes/e2-small.", machineType, zone)
	}
	if typeZone != zone {
		return invalid("Invalid value for field 'resource.machineType': '%s'. Machine type must be in zone %s, the zone of the instance.", machineType, zone)
	}
	if !slices.Contains(knownMachineTypes, name) && !customMachineType.MatchString(name) {
		return invalid("Invalid value for field 'resource.machineType': '%s'. Machine type with name '%s' does not exist in zone '%s'. The sandbox offers %s and custom types.",
			machineType, name, zone, strings.Join(knownMachineTypes, ", "))
	}
	return nil
}

// checkImage rejects a boot image outside the catalogue: an image of a
// public image project, by family or by a name that starts with a family.
// The sandbox world holds no images of the caller's own projects.
//
// An image that does not exist gets 404 notFound, as Compute Engine
// rejects an instance insert that names a missing image family.
func checkImage(project, image string) *apiError {
	path := canonical(project, image)
	if match := imagePath.FindStringSubmatch(path); match != nil {
		imageProject, isFamily, name := match[1], match[2] != "", match[3]
		for _, family := range knownImageFamilies[imageProject] {
			if name == family || (!isFamily && strings.HasPrefix(name, family+"-")) {
				return nil
			}
		}
	}
	var families []string
	for imageProject, names := range knownImageFamilies {
		for _, family := range names {
			families = append(families, "projects/"+imageProject+"/global/images/family/"+family)
		}
	}
	slices.Sort(families)
	return errorf(http.StatusNotFound, "notFound", "The resource '%s' was not found. The sandbox offers %s and images named after those families.",
		path, strings.Join(families, ", "))
}
