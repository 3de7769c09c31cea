package request

import (
	"slices"
	"testing"
)

func TestNewIDChanges(t *testing.T) {
	base := Request{
		ID:    "DATA-1",
		Route: RouteAWSPrivateLink,
		Snowflake: Snowflake{
			Account: "myorg-analytics", Database: "PLATFORM", Schema: "PACKAGES",
		},
		Repository: Repository{
			Name: "corp_pypi", IndexURL: "https://pypi.corp.example.com/simple/", DefaultFor: "schema",
		},
	}
	cases := []struct {
		name string
		edit func(*Request)
		want []string
	}{
		{"same claims", func(*Request) {},
			[]string{"$.repository.name", "$.repository.index_url", "$.repository.default_for"}},
		{"other schema", func(r *Request) { r.Snowflake.Schema = "OTHER" },
			[]string{"$.repository.name", "$.repository.index_url"}},
		{"public route", func(r *Request) { r.Route = RoutePublic; r.Repository.DefaultFor = "none" },
			[]string{"$.repository.name"}},
		{"all changed", func(r *Request) {
			r.Repository.Name = "corp_pypi_token"
			r.Repository.IndexURL = "https://pypi-token.corp.example.com/simple/"
			r.Repository.DefaultFor = "database"
		}, nil},
		{"other account", func(r *Request) { r.Snowflake.Account = "myorg-other" }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			later := base
			later.ID = "DATA-2"
			tc.edit(&later)
			if got := NewIDChanges(base, later); !slices.Equal(got, tc.want) {
				t.Errorf("NewIDChanges = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewIDAdvice(t *testing.T) {
	if got := NewIDAdvice(nil); got != "" {
		t.Errorf("NewIDAdvice(nil) = %q, want empty", got)
	}
	got := NewIDAdvice([]string{"$.repository.name", "$.repository.index_url"})
	want := " together with another $.repository.name and another host in $.repository.index_url, because the earlier run holds these until a teardown"
	if got != want {
		t.Errorf("NewIDAdvice = %q, want %q", got, want)
	}
}
