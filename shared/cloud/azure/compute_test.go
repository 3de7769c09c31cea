package azure

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/workflow"
)

func TestImageReference(t *testing.T) {
	const id = "/subscriptions/3f2b8c1e-6d4a-4b7e-9a15-2c8d7e6f5a40/resourceGroups/rg-images/providers/Microsoft.Compute/images/nginx-base"
	tests := []struct {
		image string
		want  []string
	}{
		{"Canonical:ubuntu-24_04-lts:server:latest", []string{"", "Canonical", "ubuntu-24_04-lts", "server", "latest"}},
		{id, []string{id, "", "", "", ""}},
	}
	for _, tt := range tests {
		ref, err := imageReference(tt.image)
		if err != nil {
			t.Fatalf("imageReference(%q): %v", tt.image, err)
		}
		got := []string{str(ref.ID), str(ref.Publisher), str(ref.Offer), str(ref.SKU), str(ref.Version)}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("imageReference(%q) ID, publisher, offer, SKU, version (-want +got):\n%s", tt.image, diff)
		}
	}
}

func TestImageReferenceInvalid(t *testing.T) {
	for _, image := range []string{"notanurn", "a:b:c", "a:b:c:d:e", "/subscriptions/x/images/y"} {
		_, err := imageReference(image)
		if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
			t.Errorf("imageReference(%q) error name = %q (%v), want %q", image, got, err, workflow.ErrInvalidRequest)
		}
	}
}
