package aws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// ImageParameter returns the value of a Systems Manager parameter from
// GetParameters, the call and right (ssm:GetParameters) that EC2 uses to
// resolve a resolve:ssm: image. GetParameters lists a name that does not
// exist under InvalidParameters instead of failing, and ImageParameter
// fails it with cloud.ErrInvalidImage in the chain.
func (p *Provider) ImageParameter(ctx context.Context, name string) (string, error) {
	var out struct {
		Parameters []struct{ Value string }
	}
	if err := p.ssm.call(ctx, "GetParameters", map[string][]string{"Names": {name}}, &out); err != nil {
		return "", classify(err, p.region, "get parameter %s", name)
	}
	for _, parameter := range out.Parameters {
		if parameter.Value != "" {
			return parameter.Value, nil
		}
	}
	return "", &stepError{
		named: &workflow.Error{Name: workflow.ErrInvalidRequest,
			Message: "aws: get parameter " + name + " in region " + p.region + ": Systems Manager has no such parameter"},
		cause: cloud.ErrInvalidImage,
	}
}

// ssmClient sends Systems Manager calls in the AWS JSON 1.1 protocol,
// signed with the SDK's SigV4 signer and retried by the configuration's
// retryer. repolink makes one Systems Manager call, and the generated
// client would add about 1.2 MB to the Lambda bootstrap.
type ssmClient struct {
	cfg      aws.Config
	endpoint string
	signer   *v4.Signer
}

// newSSMClient returns a client of the region in cfg that sends to
// endpoint, or to the region's public endpoint when endpoint is empty.
func newSSMClient(cfg aws.Config, endpoint string) *ssmClient {
	if endpoint == "" {
		suffix := "amazonaws.com"
		if strings.HasPrefix(cfg.Region, "cn-") {
			suffix = "amazonaws.com.cn"
		}
		endpoint = "https://ssm." + cfg.Region + "." + suffix
	}
	return &ssmClient{cfg: cfg, endpoint: strings.TrimSuffix(endpoint, "/"), signer: v4.NewSigner()}
}

// maxSSMResponse bounds the response body that call reads.
const maxSSMResponse = 1 << 20

// call sends the action with input as its JSON body and decodes the
// response into out, retrying as the configuration's retryer decides.
func (c *ssmClient) call(ctx context.Context, action string, input, out any) error {
	body, err := json.Marshal(input)
	if err != nil {
		return err
	}
	retryer := c.cfg.Retryer()
	for attempt := 1; ; attempt++ {
		err := c.send(ctx, action, body, out)
		if err == nil || attempt >= retryer.MaxAttempts() || !retryer.IsErrorRetryable(err) {
			return err
		}
		delay, delayErr := retryer.RetryDelay(attempt, err)
		if delayErr != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
	}
}

// send makes one attempt of call.
func (c *ssmClient) send(ctx context.Context, action string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM."+action)

	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("retrieve credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ssm", c.cfg.Region, time.Now()); err != nil {
		return fmt.Errorf("sign %s: %w", action, err)
	}

	client := c.cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSSMResponse))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return newSSMError(resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode %s response: %w", action, err)
	}
	return nil
}

// ssmError is an error response of Systems Manager. It implements
// smithy.APIError, so that classify names it as it names the generated
// clients' errors, and HTTPStatusCode, which the retryer reads.
type ssmError struct {
	status        int
	code, message string
}

// newSSMError reads the error code and message of an error response. The
// code is the part of __type (or of X-Amzn-ErrorType) after any '#' and
// before any ':'.
func newSSMError(resp *http.Response, data []byte) *ssmError {
	var body struct {
		Type         string `json:"__type"`
		Message      string `json:"message"`
		MessageUpper string `json:"Message"`
	}
	_ = json.Unmarshal(data, &body)
	code := body.Type
	if code == "" {
		code = resp.Header.Get("X-Amzn-ErrorType")
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	code, _, _ = strings.Cut(code, ":")
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	message := body.Message
	if message == "" {
		message = body.MessageUpper
	}
	return &ssmError{status: resp.StatusCode, code: code, message: message}
}

func (e *ssmError) Error() string {
	return fmt.Sprintf("ssm: status %d, %s: %s", e.status, e.code, e.message)
}

func (e *ssmError) ErrorCode() string    { return e.code }
func (e *ssmError) ErrorMessage() string { return e.message }
func (e *ssmError) HTTPStatusCode() int  { return e.status }

// ErrorFault reports a server fault for a 5xx status.
func (e *ssmError) ErrorFault() smithy.ErrorFault {
	if e.status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}
