package gcp

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/api/option"

	"github.com/repolink/repolink/shared/sandbox/gcpsim"
)

func TestSecretManagerResolve(t *testing.T) {
	sim, err := gcpsim.Start(context.Background(), gcpsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	const secret = "projects/proj-one/secrets/index-password"
	for _, v := range []string{"first-value", "p@ss:/#%^ second"} {
		if err := sim.PutSecret(secret, v); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	m, err := NewSecretManager(context.Background(), Options{
		Endpoint:      sim.URL(),
		ClientOptions: []option.ClientOption{option.WithHTTPClient(&http.Client{Transport: rec})},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })

	tests := []struct {
		ref     string
		want    string
		wantErr string
	}{
		{ref: "gcp-secretmanager:" + secret, want: "p@ss:/#%^ second"},
		{ref: "gcp-secretmanager:" + secret + "/versions/1", want: "first-value"},
		{ref: "gcp-secretmanager:" + secret + "/versions/latest", want: "p@ss:/#%^ second"},
		{ref: "gcp-secretmanager:" + secret + "/versions/3", wantErr: "not found"},
		{ref: "gcp-secretmanager:projects/proj-one/secrets/missing", wantErr: "not found"},
		{ref: "gcp-secretmanager:index-password", wantErr: "projects/<project>/secrets/<secret>"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := m.Resolve(context.Background(), tt.ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve = %q, %v; want an error with %q", got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "second") || strings.Contains(err.Error(), "first-value") {
					t.Errorf("error %q contains a secret value", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Resolve = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if access := rec.find(http.MethodGet, "/v1/projects/proj-one/secrets/index-password/versions/latest:access"); len(access) != 2 {
		t.Errorf("latest version read %d times, want 2", len(access))
	}
}
