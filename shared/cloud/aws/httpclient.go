package aws

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// ReadOnlyBodies wraps next, the HTTP client of an aws.Config after it is
// loaded, so that every request body it sends offers only Read and Close.
// A nil next means the SDK's default client.
//
// The SDK wraps a request body in a reader whose WriteTo returns
// io.EOF once the SDK has closed it, which it does as soon as the
// response headers arrive. When net/http's connection writer is still in
// that WriteTo, it takes the io.EOF for a failed write and closes the
// connection, and the SDK's read of the response body then fails with
// "use of closed network connection". Without WriteTo, net/http reads the
// body with Read, which ends cleanly at io.EOF. Large responses over
// loopback, such as pages of GetExecutionHistory, showed it.
func ReadOnlyBodies(next aws.HTTPClient) aws.HTTPClient {
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	return readOnlyBodies{next: next}
}

type readOnlyBodies struct {
	next aws.HTTPClient
}

func (c readOnlyBodies) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	return c.next.Do(req)
}
