package request

import (
	"regexp"
	"slices"
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

// awsRegions lists the AWS regions of every partition in the
// partitions.json file of github.com/aws/aws-sdk-go-v2 v1.48.0.
//
// NOTE: AWS adds regions over time, so a region newer than this list is
// unknown to the sandbox and to AWSRegionNames only. Request validation
// checks only the form of a region name, and the aws_region check of the
// preflight step calls EC2 in the region to find whether it exists.
var awsRegions = []string{
	"af-south-1",
	"ap-east-1", "ap-east-2",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-central-1", "ca-west-1",
	"eu-central-1", "eu-central-2",
	"eu-north-1",
	"eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3",
	"il-central-1",
	"me-central-1", "me-south-1", "me-west-1",
	"mx-central-1",
	"sa-east-1", "sa-west-1",
	"us-east-1", "us-east-2",
	"us-west-1", "us-west-2",
	"cn-north-1", "cn-northwest-1",
	"eusc-de-east-1",
	"us-iso-east-1", "us-iso-west-1",
	"us-isob-east-1", "us-isob-west-1",
	"eu-isoe-west-1",
	"us-isof-east-1", "us-isof-south-1",
	"us-gov-east-1", "us-gov-west-1",
}

// AWSRegionNames returns the AWS regions of awsRegions.
func AWSRegionNames() []string {
	return slices.Clone(awsRegions)
}

// IsKnownAWSRegion reports whether region is one of AWSRegionNames.
func IsKnownAWSRegion(region string) bool {
	return slices.Contains(awsRegions, region)
}
