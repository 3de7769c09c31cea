package jsonerror

import (
	"encoding/json"
	"strings"
	"testing"
)

type inner struct {
	Count int `json:"count"`
}

type document struct {
	Name  string   `json:"name"`
	Inner inner    `json:"inner"`
	Tags  []string `json:"tags"`
	On    *bool    `json:"on"`
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"array", `[]`, "is a JSON array"},
		{"string", `"x"`, "is a JSON string"},
		{"field type", `{"name": 4}`, "has name as a JSON number, not a string"},
		{"nested field", `{"inner": {"count": "many"}}`, "has inner.count as a JSON string, not an integer"},
		{"object for array", `{"tags": {}}`, "has tags as a JSON object, not an array"},
		{"pointer field", `{"on": "yes"}`, "has on as a JSON string, not a boolean"},
		{"empty", ``, "is empty"},
		{"not JSON", "\x81garbage", "is not valid JSON at byte 1"},
		{"cut short", `{"name": "x"`, "is not valid JSON at byte 12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc document
			err := json.Unmarshal([]byte(tt.input), &doc)
			if err == nil {
				t.Fatalf("Unmarshal(%q) succeeded, want an error", tt.input)
			}
			got := Describe(err)
			if got != tt.want {
				t.Errorf("Describe = %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "Go") || strings.Contains(got, "jsonerror.") {
				t.Errorf("Describe = %q names a Go type", got)
			}
		})
	}
}
