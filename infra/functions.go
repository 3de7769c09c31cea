package main

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"
)

// placeholderAssetDir contains a bootstrap that only reports that the real
// binary was not built. It keeps synth working before functions/lambda
// exists, but functions deployed with it fail every invocation.
const placeholderAssetDir = "placeholder"

// lambdaArch is the architecture of every bootstrap function. The stack
// packages the binary that `make lambda` builds for it.
const lambdaArch = "arm64"

// lambdaCode returns the asset with dir/<lambdaArch>/bootstrap as its only
// file, or the placeholder asset with a warning on the stack when that file
// does not exist or is a directory. It fails when the file exists but is
// not an ELF executable for linux/<lambdaArch>, such as an empty file or a
// binary built for another architecture, because every function deployed
// with it would fail.
func (s *Stack) lambdaCode(dir string) (awslambda.Code, error) {
	archDir := filepath.Join(dir, lambdaArch)
	path := filepath.Join(archDir, "bootstrap")
	if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() {
		if err := checkBootstrap(path); err != nil {
			return nil, fmt.Errorf("bootstrap %s: %w; run make lambda (or make synth) to build functions/lambda "+
				"for linux/%s, or remove the file to synthesise with the placeholder", path, err, lambdaArch)
		}
		// The exclusions keep any other file of the directory out of the zip.
		return awslambda.Code_FromAsset(jsii.String(archDir), &awss3assets.AssetOptions{
			Exclude: jsii.Strings("*", "!bootstrap"),
		}), nil
	}
	s.warn("placeholderAsset", "no bootstrap in "+archDir+"; the functions use a placeholder that fails every invocation. "+
		"Run make lambda (or make synth) to build functions/lambda for linux/"+lambdaArch+" into that directory before deploying.")
	return awslambda.Code_FromAsset(jsii.String(placeholderAssetDir), nil), nil
}

// lambdaMachine is the ELF machine of lambdaArch.
const lambdaMachine = elf.EM_AARCH64

// checkBootstrap returns an error unless path is a 64-bit ELF executable
// for lambdaMachine. Go builds a static binary of type ET_EXEC, or ET_DYN
// with -buildmode=pie.
func checkBootstrap(path string) error {
	file, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("not an ELF executable: %w", err)
	}
	defer file.Close()

	if file.Class != elf.ELFCLASS64 || file.Machine != lambdaMachine {
		return fmt.Errorf("ELF file for %s %s, want %s %s", file.Class, file.Machine, elf.ELFCLASS64, lambdaMachine)
	}
	if file.Type != elf.ET_EXEC && file.Type != elf.ET_DYN {
		return fmt.Errorf("ELF file of type %s, want %s or %s", file.Type, elf.ET_EXEC, elf.ET_DYN)
	}
	return nil
}

// newRole creates the execution role of one function group, with no
// managed policies: each group adds its own statements.
func newRole(stack awscdk.Stack, group Group) awsiam.Role {
	return awsiam.NewRole(stack, jsii.String(constructID(string(group))+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("repolink " + string(group) + " functions"),
	})
}

// functionOptions are the settings that newFunction takes beyond the spec.
type functionOptions struct {
	prefix    string
	code      awslambda.Code
	role      awsiam.Role
	retention awslogs.RetentionDays
	env       map[string]string
}

// newFunction creates the function of spec with its own log group. The log
// group is an explicit resource so that its retention is set by
// CloudFormation, and it is kept when the stack is deleted.
func newFunction(stack awscdk.Stack, spec FunctionSpec, opts functionOptions) awslambda.Function {
	return newLambda(stack, spec, opts, runtimeSettings{
		runtime: awslambda.Runtime_PROVIDED_AL2023(),
		handler: "bootstrap",
		code:    opts.code,
	})
}

// runtimeSettings are the settings in which the bootstrap functions and the
// inline unsupported-route function differ.
type runtimeSettings struct {
	runtime awslambda.Runtime
	handler string
	code    awslambda.Code
}

// unsupportedRouteCode fails every invocation with the error type
// InvalidRequest, which the state machines treat as terminal. Python
// reports the class name of a raised exception as the error type.
const unsupportedRouteCode = `class InvalidRequest(Exception):
    pass


def handler(event, context):
    route = (event.get("request") or {}).get("route", "unknown")
    raise InvalidRequest(
        "route %s is not served by the AWS deployment of repolink, which serves "
        "aws-privatelink, egress-ip and public; deploy repolink on Azure or GCP "
        "for this request" % route
    )
`

// unsupportedFunction creates, on its first call, the function that every
// Azure and GCP task of the definitions invokes, and returns it.
func (s *Stack) unsupportedFunction(opts functionOptions, role awsiam.Role) awslambda.Function {
	if fn, ok := s.Functions[unsupportedSpec.Handler]; ok {
		return fn
	}
	opts.role = role
	opts.env = nil
	fn := newLambda(s.Stack, unsupportedSpec, opts, runtimeSettings{
		runtime: awslambda.Runtime_PYTHON_3_13(),
		handler: "index.handler",
		code:    awslambda.Code_FromInline(jsii.String(unsupportedRouteCode)),
	})
	s.Functions[unsupportedSpec.Handler] = fn
	return fn
}

func newLambda(stack awscdk.Stack, spec FunctionSpec, opts functionOptions, rt runtimeSettings) awslambda.Function {
	id := constructID(spec.Handler)
	logGroup := awslogs.NewLogGroup(stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention:     opts.retention,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})

	env := map[string]*string{
		"REPOLINK_HANDLER": jsii.String(spec.Handler),
		// gosnowflake otherwise probes cloud metadata addresses on connect.
		"SNOWFLAKE_DISABLE_PLATFORM_DETECTION": jsii.String("true"),
	}
	for k, v := range opts.env {
		env[k] = jsii.String(v)
	}

	fn := awslambda.NewFunction(stack, jsii.String(id+"Function"), &awslambda.FunctionProps{
		FunctionName:  jsii.String(opts.prefix + "-" + strings.ReplaceAll(spec.Handler, "_", "-")),
		Description:   jsii.String("repolink " + spec.Handler),
		Runtime:       rt.runtime,
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String(rt.handler),
		Code:          rt.code,
		Role:          opts.role,
		MemorySize:    jsii.Number(spec.MemoryMB),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(spec.Timeout.Seconds())),
		Environment:   &env,
		LogGroup:      logGroup,
		LoggingFormat: awslambda.LoggingFormat_JSON,
	})
	logGroup.GrantWrite(opts.role)
	return fn
}

// constructID turns a handler or group name such as "proxy_vm" or
// "egress-refresh" into a construct ID such as "ProxyVm".
func constructID(name string) string {
	var b strings.Builder
	for part := range strings.FieldsFuncSeq(name, func(r rune) bool { return r == '_' || r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
