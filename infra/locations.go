package main

import "github.com/aws/aws-cdk-go/awscdk/v2/awsiam"

// locationPartitionPrefix starts the partition key of every object
// location item in the table, one partition for each request, as the
// dynamo package in the main module writes them.
const locationPartitionPrefix = "locations#"

// locationRecordStatements returns the statement that lets the Snowflake
// steps keep the records of where runs create their repository and secret.
// The secret and repository steps put a record before they create an
// object, and teardown_snowflake lists a request's records and deletes
// them once the objects are gone. dynamodb:LeadingKeys limits the calls to
// the partitions of these records, so the role cannot change a run item or
// a claim with them.
func locationRecordStatements(tableARN string) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		statement("RecordObjectLocations", []string{"dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"},
			[]string{tableARN}, partitionsStartingWith(locationPartitionPrefix)),
	}
}
