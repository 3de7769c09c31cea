// Command infra is the AWS CDK app that deploys repolink: one Lambda
// function per step, the state machines as Step Functions Standard
// workflows, the webhook and operations HTTP API, the poller schedule, the
// waits table, least-privilege roles and alarms.
//
// Run it with `cdk synth`/`cdk deploy`, or directly with `go run .`, which
// writes the cloud assembly to cdk.out.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "repolink infra:", err)
		os.Exit(1)
	}
}

func run() error {
	defer jsii.Close()

	props := &awscdk.AppProps{
		AnalyticsReporting: jsii.Bool(false),
		StackTraces:        jsii.Bool(false),
	}
	// The CDK CLI passes its output directory in CDK_OUTDIR. Without the
	// CLI the app writes to cdk.out, where `cdk` would.
	if os.Getenv("CDK_OUTDIR") == "" {
		props.Outdir = jsii.String("cdk.out")
	}
	app := awscdk.NewApp(props)

	context := func(key string) any { return app.Node().TryGetContext(jsii.String(key)) }
	cfg, err := LoadConfig(context, os.Getenv)
	if err != nil {
		return err
	}
	stack, err := NewStack(app, "Repolink", &awscdk.StackProps{
		StackName:   jsii.String(cfg.Prefix),
		Description: jsii.String("repolink: connects package indexes to Snowflake over AWS PrivateLink"),
		Env:         environment(),
	}, cfg)
	if err != nil {
		return err
	}

	for _, warning := range stack.Warnings {
		fmt.Fprintln(os.Stderr, "warning:", warning)
	}
	app.Synth(nil)
	return nil
}

// environment pins the stack to CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION,
// which the CDK CLI sets from the caller's credentials. When they are unset
// the stack is environment-agnostic and ARNs use CloudFormation pseudo
// parameters.
func environment() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" && region == "" {
		return nil
	}
	env := &awscdk.Environment{}
	if account != "" {
		env.Account = jsii.String(account)
	}
	if region != "" {
		env.Region = jsii.String(region)
	}
	return env
}
