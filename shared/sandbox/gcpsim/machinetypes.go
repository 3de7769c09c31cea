package gcpsim

import (
	"slices"
)

// getMachineType serves MachineTypes: get for the catalogue's machine
// types and custom types in a zone that the sandbox serves, and 404
// notFound for any other, as Compute Engine does.
func (s *Server) getMachineType(c call) (any, *apiError) {
	zone := c.zone()
	if _, ok := zoneRegion(zone); !ok || (!slices.Contains(knownMachineTypes, c.name) && !customMachineType.MatchString(c.name)) {
		return nil, notFound(c.path())
	}
	return renderMachineType(c.project, zone, c.name), nil
}

// listMachineTypes serves MachineTypes: list, in pages. Like Compute
// Engine, it lists no custom types.
func (s *Server) listMachineTypes(c call) (any, *apiError) {
	zone := c.zone()
	if _, ok := zoneRegion(zone); !ok {
		return nil, notFound("projects/" + c.project + "/zones/" + zone)
	}
	names := map[string]string{}
	for _, name := range knownMachineTypes {
		names[name] = name
	}
	keys, next, apiErr := page(c, names, func(string) bool { return true }, s.opts.PageSize)
	if apiErr != nil {
		return nil, apiErr
	}
	items := make([]map[string]any, 0, len(keys))
	for _, name := range keys {
		items = append(items, renderMachineType(c.project, zone, name))
	}
	return listOf("compute#machineTypeList", "projects/"+c.project+"/zones/"+zone+"/machineTypes", items, next), nil
}

func renderMachineType(project, zone, name string) map[string]any {
	return map[string]any{
		"kind": "compute#machineType", "name": name,
		"zone": zone, "selfLink": link("projects/" + project + "/zones/" + zone + "/machineTypes/" + name),
	}
}
