package sfsim

import (
	"encoding/json"
	"time"
)

// egressRange is one entry of SYSTEM$GET_SNOWFLAKE_EGRESS_IP_RANGES on AWS.
type egressRange struct {
	IPv4Prefix string `json:"ipv4_prefix"`
	Effective  string `json:"effective"`
	Expires    string `json:"expires"`
}

// egressRanges renders SYSTEM$GET_SNOWFLAKE_EGRESS_IP_RANGES as the AWS
// variant returns it: a JSON array with one object per range, with
// timestamps in UTC. The sandbox's ranges are the documentation blocks of
// RFC 5737, dated relative to the start of the current day: two are in
// effect and one is announced ahead of its effective time, as Snowflake
// announces new ranges before they take effect.
func (s *Server) egressRanges() string {
	day := s.now().UTC().Truncate(24 * time.Hour)
	stamp := func(days int) string { return day.AddDate(0, 0, days).Format(time.RFC3339) }
	ranges := []egressRange{
		{IPv4Prefix: "192.0.2.0/24", Effective: stamp(-180), Expires: stamp(185)},
		{IPv4Prefix: "198.51.100.0/25", Effective: stamp(-30), Expires: stamp(335)},
		{IPv4Prefix: "203.0.113.0/24", Effective: stamp(60), Expires: stamp(425)},
	}
	data, _ := json.Marshal(ranges)
	return string(data)
}
