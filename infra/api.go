package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/jsii-runtime-go"
)

// httpAPI is the HTTP API with the URLs that the stack exports.
type httpAPI struct {
	api           awsapigatewayv2.HttpApi
	webhookURL    *string
	operationsURL *string
}

// newHTTPAPI routes POST /webhook to the webhook function, which checks the
// HMAC signature itself, and /operations to the operations function behind
// IAM authorization, because it shows every run's input and history.
func newHTTPAPI(stack awscdk.Stack, prefix string, webhook, operations awslambda.Function) httpAPI {
	api := awsapigatewayv2.NewHttpApi(stack, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		ApiName:     jsii.String(prefix),
		Description: jsii.String("repolink ticket webhook and operations API"),
	})

	api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String("/webhook"),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST},
		Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("WebhookIntegration"), webhook, nil),
	})

	operationsIntegration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("OperationsIntegration"), operations, nil)
	for _, path := range []string{"/operations", "/operations/{proxy+}"} {
		api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY},
			Integration: operationsIntegration,
			Authorizer:  awsapigatewayv2authorizers.NewHttpIamAuthorizer(),
		})
	}

	endpoint := *api.ApiEndpoint()
	return httpAPI{
		api:           api,
		webhookURL:    jsii.String(endpoint + "/webhook"),
		operationsURL: jsii.String(endpoint + "/operations"),
	}
}

// newPollerSchedule invokes the poller every minute. A failed invocation is
// not retried, because the next poll a minute later does the same work.
func newPollerSchedule(stack awscdk.Stack, prefix string, poller awslambda.Function) awsscheduler.Schedule {
	return awsscheduler.NewSchedule(stack, jsii.String("PollerSchedule"), &awsscheduler.ScheduleProps{
		ScheduleName: jsii.String(prefix + "-poller"),
		Description:  jsii.String("completes repolink waits whose Snowflake endpoint is live, failed or past its deadline"),
		Schedule:     awsscheduler.ScheduleExpression_Rate(awscdk.Duration_Minutes(jsii.Number(1))),
		Target: awsschedulertargets.NewLambdaInvoke(poller, &awsschedulertargets.ScheduleTargetBaseProps{
			RetryAttempts: jsii.Number(0),
			MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(1)),
		}),
	})
}
