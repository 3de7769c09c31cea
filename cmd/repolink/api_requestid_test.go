package main

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// TestStepFunctionsAPIRequestID checks that the Step Functions API of
// repolink up sends a request ID that the SDK reports, on errors and on
// success, and a new one for each request.
func TestStepFunctionsAPIRequestID(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	client := mountedAPIClient(t, eng, dir)

	errorIDs := make([]string, 2)
	for i := range errorIDs {
		_, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{
			ExecutionArn: aws.String(eng.ExecutionARN(provisionMachine, "NO-SUCH-1")),
		})
		var response *awshttp.ResponseError
		if !errors.As(err, &response) {
			t.Fatalf("DescribeExecution of a missing execution: error = %v, want a response error", err)
		}
		errorIDs[i] = response.ServiceRequestID()
		if errorIDs[i] == "" {
			t.Errorf("error %v has an empty RequestID", err)
		}
	}
	if errorIDs[0] == errorIDs[1] {
		t.Errorf("two requests got the same request ID %q", errorIDs[0])
	}

	out, err := client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil {
		t.Fatalf("ListStateMachines: %v", err)
	}
	id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	if !ok || id == "" {
		t.Errorf("ListStateMachines result has no request ID")
	}
}
