package aws

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
)

// historyPage is a GetExecutionHistory response of about 20 KB, larger than
// one socket read of the client.
func historyPage() string {
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i := 1; i <= 40; i++ {
		if i > 1 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%d,"previousEventId":%d,"timestamp":1.7e9,"type":"PassStateEntered",`+
			`"stateEnteredEventDetails":{"name":"Step","input":"%s"}}`, i, i-1, strings.Repeat("x", 480))
	}
	b.WriteString(`]}`)
	return b.String()
}

// TestReadOnlyBodiesKeepConnections pages a large history many times from
// a plain loopback server with the Step Functions SDK client. With the
// SDK's own request bodies, net/http closed a connection now and then
// while the SDK still read the response, and a call failed with "use of
// closed network connection".
func TestReadOnlyBodiesKeepConnections(t *testing.T) {
	page := historyPage()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		io.WriteString(w, page)
	}))
	t.Cleanup(server.Close)

	client := sfnsdk.New(sfnsdk.Options{
		Region:           "us-west-2",
		BaseEndpoint:     aws.String(server.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		HTTPClient:       ReadOnlyBodies(nil),
		RetryMaxAttempts: 1,
	})
	arn := "arn:aws:states:us-west-2:123456789012:execution:repolink-provision:DATA-4711"
	for i := range 2000 {
		out, err := client.GetExecutionHistory(context.Background(), &sfnsdk.GetExecutionHistoryInput{
			ExecutionArn: aws.String(arn),
			MaxResults:   40,
		})
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if len(out.Events) != 40 {
			t.Fatalf("call %d: %d events, want 40", i+1, len(out.Events))
		}
	}
}
