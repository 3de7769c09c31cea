package azure

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// locationsAPIVersion is the Resource Manager API version of Subscriptions -
// List Locations.
const locationsAPIVersion = "2022-12-01"

// locationList is the body of GET /subscriptions/{id}/locations. Resource
// Manager returns every location in value, with no nextLink.
type locationList struct {
	Value []struct {
		Name string `json:"name"`
		// Type is Region, or EdgeZone for an extended location, which the
		// list includes only on request.
		Type string `json:"type"`
	} `json:"value"`
}

// Locations returns the names of the regions that Subscriptions - List
// Locations returns for the subscription, such as eastus2. The armsubscriptions module
// is not a dependency, so it sends the plain request through the same
// azcore pipeline as the other clients.
func (p *Provider) Locations(ctx context.Context) ([]string, error) {
	endpoint := p.arm.Endpoint() + "/subscriptions/" + url.PathEscape(p.subscription) + "/locations"
	req, err := runtime.NewRequest(ctx, http.MethodGet, endpoint)
	if err != nil {
		return nil, fmt.Errorf("azure: list locations of subscription %s: %w", p.subscription, err)
	}
	query := req.Raw().URL.Query()
	query.Set("api-version", locationsAPIVersion)
	req.Raw().URL.RawQuery = query.Encode()
	req.Raw().Header.Set("Accept", "application/json")

	resp, err := p.arm.Pipeline().Do(req)
	if err != nil {
		return nil, classify(err, "list locations of subscription %s", p.subscription)
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return nil, classify(runtime.NewResponseError(resp), "list locations of subscription %s", p.subscription)
	}
	var list locationList
	if err := runtime.UnmarshalAsJSON(resp, &list); err != nil {
		return nil, fmt.Errorf("azure: decode locations of subscription %s: %w", p.subscription, err)
	}
	names := make([]string, 0, len(list.Value))
	for _, location := range list.Value {
		if location.Type == "" || location.Type == "Region" {
			names = append(names, location.Name)
		}
	}
	return names, nil
}

// VMSizes returns the names of the VM sizes of location that Virtual
// Machine Sizes - List returns, such as Standard_B1s.
//
// NOTE: whether the list leaves out the sizes that the subscription may not
// use in the location is unconfirmed. Resource SKUs - List marks those with
// restrictions, and a size that passes here can still fail at VM create
// with SkuNotAvailable.
func (p *Provider) VMSizes(ctx context.Context, location string) ([]string, error) {
	var names []string
	pager := p.sizes.NewListPager(location, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, classify(err, "list VM sizes of location %s in subscription %s", location, p.subscription)
		}
		for _, size := range page.Value {
			if size != nil && size.Name != nil {
				names = append(names, *size.Name)
			}
		}
	}
	return names, nil
}
