// Package accountregion checks that a private-link request builds its
// network in the region of its Snowflake account. repolink creates the AWS
// endpoint service without cross-region access, so Snowflake's endpoint
// reaches it only from the same region. A Private Service Connect endpoint
// on Google Cloud reaches only a service attachment of its own region.
//
// An account's region is read from SYSTEM$GET_PRIVATELINK_CONFIG:
// privatelink-vpce-id names it on AWS and privatelink-gcp-service-attachment
// on Google Cloud.
//
// The same settings show the account's cloud, which must be the route's,
// because Snowflake's private endpoints reach services only on the
// account's own cloud.
//
// NOTE: the Azure region is not checked. An Azure private endpoint can
// connect to a Private Link Service in another region, and Snowflake
// documents no same-region rule for Azure, but no test against Snowflake
// confirmed that its outbound endpoints do so.
package accountregion

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Applies reports whether the route builds a network that must be on the
// Snowflake account's cloud: the private-link routes.
func Applies(route request.Route) bool {
	switch route {
	case request.RouteAWSPrivateLink, request.RouteAzurePrivateLink, request.RouteGCPPrivateLink:
		return true
	}
	return false
}

// Check reads the account's private connectivity settings and fails with
// InvalidRequest when they show another cloud than the route's, or when
// the request's aws.region or gcp.region is not the account's region. It
// returns nil for other routes, and when the settings name neither a cloud
// nor a region of the request's cloud.
func Check(ctx context.Context, conn snowflake.Conn, req request.Request) error {
	if !Applies(req.Route) {
		return nil
	}
	cfg, err := Read(ctx, conn)
	if err != nil {
		return err
	}
	return Compare(req, cfg, "")
}

// Read returns the account's private connectivity settings.
func Read(ctx context.Context, conn snowflake.Conn) (snowflake.PrivateLinkConfig, error) {
	rows, err := conn.Query(ctx, snowflake.GetPrivateLinkConfig())
	if err != nil {
		return snowflake.PrivateLinkConfig{}, fmt.Errorf("read SYSTEM$GET_PRIVATELINK_CONFIG: %w", err)
	}
	var raw string
	for _, row := range rows {
		for _, value := range row {
			raw = value
		}
	}
	cfg, err := snowflake.ParsePrivateLinkConfig(raw)
	if err != nil {
		return snowflake.PrivateLinkConfig{}, workflow.Errorf(workflow.ErrTransient, "%v", err)
	}
	return cfg, nil
}

// Compare fails with InvalidRequest when the account's cloud in cfg is not
// the route's, or when the request's region differs from the account's
// region in cfg. execution is the run that may have built
// resources for the request already, or "" before any resource is built,
// as in Check. Another region or account is rejected while such resources
// exist, so with an execution the message ends with the teardown that
// must come first.
func Compare(req request.Request, cfg snowflake.PrivateLinkConfig, execution string) error {
	sf := req.Snowflake
	if err := compareCloud(req, cfg, execution); err != nil {
		return err
	}
	switch {
	case req.Route == request.RouteAWSPrivateLink && req.AWS != nil:
		account := cfg.AWSRegion()
		if account == "" || account == req.AWS.Region {
			return nil
		}
		return workflow.Invalid("$.aws.region is %s, but Snowflake account %s is in AWS region %s, as privatelink-vpce-id of SYSTEM$GET_PRIVATELINK_CONFIG shows, "+
			"and its endpoint reaches an endpoint service only in that region; "+
			"set $.aws.region to %s with $.aws.vpc_id and $.aws.subnet_ids of that region, or use a Snowflake account in %s%s",
			req.AWS.Region, sf.Account, account, account, req.AWS.Region, workflow.PlacementChangeNote("$.aws.region or $.snowflake.account", execution))
	case req.Route == request.RouteGCPPrivateLink && req.GCP != nil:
		account := cfg.GCPRegion()
		if account == "" || account == req.GCP.Region {
			return nil
		}
		return workflow.Invalid("$.gcp.region is %s, but Snowflake account %s is in Google Cloud region %s, as privatelink-gcp-service-attachment of SYSTEM$GET_PRIVATELINK_CONFIG shows, "+
			"and its Private Service Connect endpoint reaches a service attachment only in that region; "+
			"set $.gcp.region to %s with $.gcp.zone, $.gcp.subnet and $.gcp.psc_subnet of that region, or use a Snowflake account in %s%s",
			req.GCP.Region, sf.Account, account, account, req.GCP.Region, workflow.PlacementChangeNote("$.gcp.region or $.snowflake.account", execution))
	}
	return nil
}

// compareCloud fails with InvalidRequest when cfg shows that the account is
// on another cloud than the one the request's route builds on.
func compareCloud(req request.Request, cfg snowflake.PrivateLinkConfig, execution string) error {
	account, route := cfg.Cloud(), req.RouteCloud()
	if !Applies(req.Route) || account == "" || account == route {
		return nil
	}
	return workflow.Invalid("$.snowflake.account %s is a Snowflake account on %s, as the keys of its SYSTEM$GET_PRIVATELINK_CONFIG show, "+
		"but the %s route builds on %s, and private endpoints of a Snowflake account reach services only on its own cloud; "+
		"set $.snowflake.account to an account on %s, or use the %s-privatelink route%s",
		req.Snowflake.Account, account, req.Route, route, route, account, workflow.PlacementChangeNote("$.snowflake.account or $.route", execution))
}
