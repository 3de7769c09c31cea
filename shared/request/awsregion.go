package request

import (
	"regexp"
	"strings"
)

// AWSPartition is a group of AWS regions with its own ARN partition and
// endpoint DNS suffix.
type AWSPartition struct {
	// ID is the partition field of an ARN, such as aws-cn in
	// arn:aws-cn:elasticloadbalancing:cn-north-1:....
	ID string
	// DNSSuffix ends the endpoint host names of the partition's regions,
	// such as amazonaws.com.cn.
	DNSSuffix string
}

// awsRegionName matches the form of an AWS region name: an area, such as
// us, cn or us-gov, a compass direction and a number, as in cn-north-1.
var awsRegionName = regexp.MustCompile(`^([a-z]+(?:-[a-z]+)*)-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-[0-9]+$`)

// awsPartitions maps the area of a region name to its partition. The areas,
// IDs and DNS suffixes are those of the partitions.json file in
// github.com/aws/aws-sdk-go-v2 v1.48.0, which keeps that list in an
// internal package.
var awsPartitions = map[string]AWSPartition{
	"af":      {ID: "aws", DNSSuffix: "amazonaws.com"},
	"ap":      {ID: "aws", DNSSuffix: "amazonaws.com"},
	"ca":      {ID: "aws", DNSSuffix: "amazonaws.com"},
	"eu":      {ID: "aws", DNSSuffix: "amazonaws.com"},
	"il":      {ID: "aws", DNSSuffix: "amazonaws.com"},
	"me":      {ID: "aws", DNSSuffix: "amazonaws.com"},
	"mx":      {ID: "aws", DNSSuffix: "amazonaws.com"},
	"sa":      {ID: "aws", DNSSuffix: "amazonaws.com"},
	"us":      {ID: "aws", DNSSuffix: "amazonaws.com"},
	"cn":      {ID: "aws-cn", DNSSuffix: "amazonaws.com.cn"},
	"us-gov":  {ID: "aws-us-gov", DNSSuffix: "amazonaws.com"},
	"us-iso":  {ID: "aws-iso", DNSSuffix: "c2s.ic.gov"},
	"us-isob": {ID: "aws-iso-b", DNSSuffix: "sc2s.sgov.gov"},
	"eu-isoe": {ID: "aws-iso-e", DNSSuffix: "cloud.adc-e.uk"},
	"us-isof": {ID: "aws-iso-f", DNSSuffix: "csp.hci.ic.gov"},
	"eusc-de": {ID: "aws-eusc", DNSSuffix: "amazonaws.eu"},
}

// AWSPartitionOf returns the partition of an AWS region name, and false
// when region does not have the form of a region name or its area is in
// no partition. It cannot tell whether a region of the right form exists.
func AWSPartitionOf(region string) (AWSPartition, bool) {
	m := awsRegionName.FindStringSubmatch(region)
	if m == nil {
		return AWSPartition{}, false
	}
	partition, ok := awsPartitions[m[1]]
	return partition, ok
}

// ReverseDNSPrefix returns the DNS suffix with its labels in reverse order,
// such as cn.com.amazonaws, with which the service names of VPC endpoint
// services start.
// NOTE: that start is confirmed for the aws and aws-cn partitions only.
func (p AWSPartition) ReverseDNSPrefix() string {
	labels := strings.Split(p.DNSSuffix, ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return strings.Join(labels, ".")
}

// isAWSRegion reports whether region is a region name of a known partition.
func isAWSRegion(region string) bool {
	_, ok := AWSPartitionOf(region)
	return ok
}
