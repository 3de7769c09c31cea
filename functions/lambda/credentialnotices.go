package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/repolink/repolink/functions/lambda/internal/notifier"
	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/shared/workflow"
)

// invoker is the part of the Lambda API that credentialNotices calls.
type invoker interface {
	Invoke(ctx context.Context, in *lambdasdk.InvokeInput, optFns ...func(*lambdasdk.Options)) (*lambdasdk.InvokeOutput, error)
}

// credentialNotices hands the poller's credential expiry notifications to
// the notifier function with an asynchronous Invoke. The notifier signs
// them with the webhook key, which the poller's role may not read because
// it resolves request credentials, and claims each one in the table so
// that it is sent once. Lambda retries a failed asynchronous invocation.
type credentialNotices struct {
	client   invoker
	function string
}

var _ poller.CredentialNotifier = credentialNotices{}

// NotifyCredentialExpiry queues the notification of c with the notifier
// function. It returns false for a request without notify.url.
func (n credentialNotices) NotifyCredentialExpiry(ctx context.Context, c workflow.CredentialExpiry) (bool, error) {
	if c.Request.Notify == nil || c.Request.Notify.URL == "" {
		return false, nil
	}
	body, err := json.Marshal(notifier.CredentialEvent{DetailType: notifier.CredentialEventType, Detail: c})
	if err != nil {
		return true, fmt.Errorf("encode credential expiry event of secret %s: %w", c.Secret, err)
	}
	_, err = n.client.Invoke(ctx, &lambdasdk.InvokeInput{
		FunctionName:   aws.String(n.function),
		InvocationType: lambdatypes.InvocationTypeEvent,
		Payload:        body,
	})
	if err != nil {
		return true, fmt.Errorf("aws: lambda invoke %s with the credential expiry of secret %s: %w", n.function, c.Secret, err)
	}
	return true, nil
}
