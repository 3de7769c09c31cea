package main

import "strings"

// partitionSubstitution is the definition substitution that Step Functions
// replaces by the stack's partition, such as aws, aws-cn or aws-us-gov.
const partitionSubstitution = "aws_partition"

// serviceIntegrationPrefix starts the Resource of a Step Functions service
// integration in the definition files, such as
// "arn:aws:states:::lambda:invoke.waitForTaskToken". The files keep the
// aws partition, because the local engine and asl-validator match that form.
const serviceIntegrationPrefix = `"arn:aws:states:::`

// withStackPartition returns asl with the partition of every service
// integration ARN replaced by the ${aws_partition} substitution, and
// whether it replaced any, so that the definition also runs in the aws-cn
// and aws-us-gov partitions.
func withStackPartition(asl string) (string, bool) {
	if !strings.Contains(asl, serviceIntegrationPrefix) {
		return asl, false
	}
	return strings.ReplaceAll(asl, serviceIntegrationPrefix, `"arn:${`+partitionSubstitution+`}:states:::`), true
}
