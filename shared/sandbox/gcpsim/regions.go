package gcpsim

import (
	"hash/fnv"
	"strconv"
	"strings"
)

// knownZones lists the zones of each Compute Engine region that the
// sandbox serves: the public regions of Google Cloud as of 2025, each with
// the zones that Google publishes for it. A region or zone outside it gets
// 404 notFound, as an unknown one gets from Compute Engine.
//
// NOTE: Google adds regions over time, so a region newer than this list is
// unknown to the sandbox only.
var knownZones = map[string][]string{
	"africa-south1":           {"a", "b", "c"},
	"asia-east1":              {"a", "b", "c"},
	"asia-east2":              {"a", "b", "c"},
	"asia-northeast1":         {"a", "b", "c"},
	"asia-northeast2":         {"a", "b", "c"},
	"asia-northeast3":         {"a", "b", "c"},
	"asia-south1":             {"a", "b", "c"},
	"asia-south2":             {"a", "b", "c"},
	"asia-southeast1":         {"a", "b", "c"},
	"asia-southeast2":         {"a", "b", "c"},
	"australia-southeast1":    {"a", "b", "c"},
	"australia-southeast2":    {"a", "b", "c"},
	"europe-central2":         {"a", "b", "c"},
	"europe-north1":           {"a", "b", "c"},
	"europe-north2":           {"a", "b", "c"},
	"europe-southwest1":       {"a", "b", "c"},
	"europe-west1":            {"b", "c", "d"},
	"europe-west2":            {"a", "b", "c"},
	"europe-west3":            {"a", "b", "c"},
	"europe-west4":            {"a", "b", "c"},
	"europe-west6":            {"a", "b", "c"},
	"europe-west8":            {"a", "b", "c"},
	"europe-west9":            {"a", "b", "c"},
	"europe-west10":           {"a", "b", "c"},
	"europe-west12":           {"a", "b", "c"},
	"me-central1":             {"a", "b", "c"},
	"me-central2":             {"a", "b", "c"},
	"me-west1":                {"a", "b", "c"},
	"northamerica-northeast1": {"a", "b", "c"},
	"northamerica-northeast2": {"a", "b", "c"},
	"northamerica-south1":     {"a", "b", "c"},
	"southamerica-east1":      {"a", "b", "c"},
	"southamerica-west1":      {"a", "b", "c"},
	"us-central1":             {"a", "b", "c", "f"},
	"us-east1":                {"b", "c", "d"},
	"us-east4":                {"a", "b", "c"},
	"us-east5":                {"a", "b", "c"},
	"us-south1":               {"a", "b", "c"},
	"us-west1":                {"a", "b", "c"},
	"us-west2":                {"a", "b", "c"},
	"us-west3":                {"a", "b", "c"},
	"us-west4":                {"a", "b", "c"},
}

// getRegion serves Regions: get.
func (s *Server) getRegion(c call) (any, *apiError) {
	if _, ok := knownZones[c.name]; !ok {
		return nil, notFound("projects/" + c.project + "/regions/" + c.name)
	}
	return renderRegion(c.project, c.name), nil
}

// listRegions serves Regions: list, in pages.
func (s *Server) listRegions(c call) (any, *apiError) {
	names, next, apiErr := page(c, mapKeys(knownZones), func(string) bool { return true }, s.opts.PageSize)
	if apiErr != nil {
		return nil, apiErr
	}
	items := make([]map[string]any, 0, len(names))
	for _, name := range names {
		items = append(items, renderRegion(c.project, name))
	}
	return listOf("compute#regionList", "projects/"+c.project+"/regions", items, next), nil
}

// getZone serves Zones: get.
func (s *Server) getZone(c call) (any, *apiError) {
	region, ok := zoneRegion(c.name)
	if !ok {
		return nil, notFound("projects/" + c.project + "/zones/" + c.name)
	}
	return renderZone(c.project, region, c.name), nil
}

// listZones serves Zones: list, in pages.
func (s *Server) listZones(c call) (any, *apiError) {
	zones := map[string]string{}
	for region, suffixes := range knownZones {
		for _, suffix := range suffixes {
			zones[region+"-"+suffix] = region
		}
	}
	names, next, apiErr := page(c, mapKeys(zones), func(string) bool { return true }, s.opts.PageSize)
	if apiErr != nil {
		return nil, apiErr
	}
	items := make([]map[string]any, 0, len(names))
	for _, name := range names {
		items = append(items, renderZone(c.project, zones[name], name))
	}
	return listOf("compute#zoneList", "projects/"+c.project+"/zones", items, next), nil
}

// HasZone reports whether the sandbox serves zone as a zone of region.
func HasZone(region, zone string) bool {
	zoneOf, ok := zoneRegion(zone)
	return ok && zoneOf == region
}

// zoneRegion returns the region of a zone that the sandbox serves.
func zoneRegion(zone string) (string, bool) {
	i := strings.LastIndex(zone, "-")
	if i <= 0 {
		return "", false
	}
	region, suffix := zone[:i], zone[i+1:]
	for _, known := range knownZones[region] {
		if known == suffix {
			return region, true
		}
	}
	return "", false
}

func renderRegion(project, name string) map[string]any {
	path := "projects/" + project + "/regions/" + name
	var zones []string
	for _, suffix := range knownZones[name] {
		zones = append(zones, link("projects/"+project+"/zones/"+name+"-"+suffix))
	}
	return map[string]any{"kind": "compute#region", "id": locationID(name), "name": name, "status": "UP",
		"zones": zones, "selfLink": link(path)}
}

func renderZone(project, region, name string) map[string]any {
	return map[string]any{"kind": "compute#zone", "id": locationID(name), "name": name, "status": "UP",
		"region": link("projects/" + project + "/regions/" + region), "selfLink": link("projects/" + project + "/zones/" + name)}
}

func listOf(kind, path string, items []map[string]any, next string) map[string]any {
	out := map[string]any{"kind": kind, "id": path, "items": items, "selfLink": link(path)}
	if next != "" {
		out["nextPageToken"] = next
	}
	return out
}

// locationID returns a stable numeric ID for a region or zone name, as a
// string, because Compute Engine sends 64-bit IDs as JSON strings.
func locationID(name string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return strconv.FormatUint(h.Sum64()%9_000_000_000_000_000+1_000_000_000_000_000, 10)
}
