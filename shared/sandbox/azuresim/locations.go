package azuresim

import "slices"

// restrictedLocations are regions that Subscriptions - List Locations
// lists, but in which a subscription without access to them may create no
// resource. A PUT with one of them fails as for a location outside the
// catalogue.
var restrictedLocations = []string{
	"brazilsoutheast", "francesouth", "germanynorth", "norwaywest", "southafricawest",
	"switzerlandwest", "uaecentral",
}

// locationNames maps each location of the catalogue to the display name
// that Resource Manager returns for it.
var locationNames = map[string]string{
	"australiacentral": "Australia Central", "australiacentral2": "Australia Central 2",
	"australiaeast": "Australia East", "australiasoutheast": "Australia Southeast",
	"brazilsouth": "Brazil South", "canadacentral": "Canada Central", "canadaeast": "Canada East",
	"centralindia": "Central India", "centralus": "Central US", "eastasia": "East Asia",
	"eastus": "East US", "eastus2": "East US 2", "francecentral": "France Central",
	"germanywestcentral": "Germany West Central", "israelcentral": "Israel Central",
	"italynorth": "Italy North", "japaneast": "Japan East", "japanwest": "Japan West",
	"jioindiawest": "Jio India West", "koreacentral": "Korea Central", "koreasouth": "Korea South",
	"mexicocentral": "Mexico Central", "newzealandnorth": "New Zealand North",
	"northcentralus": "North Central US", "northeurope": "North Europe", "norwayeast": "Norway East",
	"polandcentral": "Poland Central", "qatarcentral": "Qatar Central",
	"southafricanorth": "South Africa North", "southcentralus": "South Central US",
	"southeastasia": "Southeast Asia", "southindia": "South India", "spaincentral": "Spain Central",
	"swedencentral": "Sweden Central", "switzerlandnorth": "Switzerland North", "uaenorth": "UAE North",
	"uksouth": "UK South", "ukwest": "UK West", "westcentralus": "West Central US",
	"westeurope": "West Europe", "westindia": "West India", "westus": "West US",
	"westus2": "West US 2", "westus3": "West US 3",

	"brazilsoutheast": "Brazil Southeast", "francesouth": "France South", "germanynorth": "Germany North",
	"norwaywest": "Norway West", "southafricawest": "South Africa West",
	"switzerlandwest": "Switzerland West", "uaecentral": "UAE Central",
}

// listLocations returns the catalogue's locations and the restricted ones
// as Subscriptions - List Locations does: every region in value, with no
// nextLink. Each entry has
// id, name, type and displayName, and of metadata only regionType. Resource
// Manager also returns regionalDisplayName, availability zone mappings and
// more metadata, which repolink does not read.
//
// NOTE: Resource Manager fails the call for a subscription that does not
// exist, but the sandbox returns the same list for every subscription ID.
func listLocations(subscription string) *response {
	values := make([]any, 0, len(knownLocations)+len(restrictedLocations))
	for _, name := range append(slices.Clone(knownLocations), restrictedLocations...) {
		values = append(values, map[string]any{
			"id":          "/subscriptions/" + subscription + "/locations/" + name,
			"name":        name,
			"type":        "Region",
			"displayName": locationNames[name],
			"metadata":    map[string]any{"regionType": "Physical"},
		})
	}
	return ok(map[string]any{"value": values})
}
