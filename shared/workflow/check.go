package workflow

import (
	"encoding/json"
	"reflect"

	"github.com/repolink/repolink/shared/request"
)

// CheckResources reports the members of resources, the JSON value at
// $.resources of a document, that the steps cannot decode into Resources,
// such as a number at $.resources.proxy_vm, which must be an object. A key
// that Resources has no field for, such as one that a teardown step
// writes, is not checked. A resources value that is not an object is one
// error at $.resources.
func CheckResources(resources json.RawMessage) []request.FieldError {
	value, err := request.DecodeJSON(resources)
	if err != nil {
		value = nil
	}
	if _, ok := value.(map[string]any); !ok {
		return []request.FieldError{{Path: "$.resources", Message: "must be a JSON object"}}
	}
	return request.CheckTypes("$.resources", value, reflect.TypeFor[Resources]())
}
