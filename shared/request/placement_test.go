package request

import (
	"slices"
	"testing"
)

func TestChangedPlacement(t *testing.T) {
	earlier := Request{Route: RouteAWSPrivateLink, Snowflake: Snowflake{Account: "Org-Acct"}, AWS: &AWS{Region: "us-west-2"}}
	tests := []struct {
		name string
		edit func(r *Request)
		want []string
	}{
		{name: "same placement", edit: func(r *Request) { r.Repository.Name = "other" }},
		{name: "account case", edit: func(r *Request) { r.Snowflake.Account = "org-acct" }},
		{name: "snowflake account", edit: func(r *Request) { r.Snowflake.Account = "org-other" }, want: []string{"snowflake.account"}},
		{name: "aws region", edit: func(r *Request) { r.AWS = &AWS{Region: "eu-west-1"} }, want: []string{"aws.region"}},
		{name: "route", edit: func(r *Request) {
			r.Route = RouteGCPPrivateLink
			r.AWS = nil
			r.GCP = &GCP{Project: "corp-packages", Region: "us-central1"}
		}, want: []string{"route", "aws.region", "gcp.project", "gcp.region"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			later := earlier
			later.AWS = &AWS{Region: earlier.AWS.Region}
			tt.edit(&later)
			if got := ChangedPlacement(earlier, later); !slices.Equal(got, tt.want) {
				t.Errorf("ChangedPlacement = %q, want %q", got, tt.want)
			}
		})
	}
}
