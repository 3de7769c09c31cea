package cloudresource

import "testing"

func TestClosestNames(t *testing.T) {
	regions := []string{"europe-west1", "europe-west4", "us-central1", "us-east1"}
	locations := []string{"australiaeast", "eastus", "eastus2", "westeurope"}
	sizes := []string{"Standard_B1ls", "Standard_B1ms", "Standard_B1s", "Standard_D2s_v5"}
	tests := []struct {
		name        string
		names       []string
		input, want string
	}{
		{"letter missing in the middle", regions, "europe-wst4", "europe-west4, europe-west1, us-east1"},
		{"wrong digit at the end", locations, "eastus5", "eastus, eastus2, westeurope"},
		{"case ignored, original case kept", sizes, "standard_b1z", "Standard_B1s, Standard_B1ls, Standard_B1ms"},
		{"ties keep their order", []string{"b2", "a1", "c3"}, "zz", "b2, a1, c3"},
		{"fewer than three names", []string{"eastus"}, "atlantis", "eastus"},
		{"no names", nil, "atlantis", "eastus2 (none listed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClosestNames(tt.names, tt.input, "eastus2 (none listed)"); got != tt.want {
				t.Errorf("ClosestNames(%q, %q) = %q, want %q", tt.names, tt.input, got, tt.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"eastus", "eastus2", 1},
		{"europe-wst4", "europe-west4", 1},
		{"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}
