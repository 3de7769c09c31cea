package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"
)

// The stack tests synthesise the real CDK app through jsii, which starts a
// Node process: the first synth in a run takes seconds and about 1 GB of
// memory, so each configuration is synthesised once and shared.

var (
	// assetDir contains a stand-in bootstrap file, because the tests never
	// build the real binary.
	assetDir string
	synthed  = map[string]synthResult{}
)

type synthResult struct {
	stack    *Stack
	template assertions.Template
	json     map[string]any
}

func TestMain(m *testing.M) {
	code := runTests(m)
	jsii.Close()
	os.Exit(code)
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "repolink-infra-asset-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Mkdir(filepath.Join(dir, lambdaArch), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := os.WriteFile(filepath.Join(dir, lambdaArch, "bootstrap"), standInBootstrap, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	assetDir = dir
	return m.Run()
}

func fullConfig() Config {
	return Config{
		Prefix:           "repolink",
		SecretARNs:       []string{exampleSecretARN, exampleSecretARN2},
		WebhookSecretARN: exampleWebhookARN,
		SecretsKeyARN:    exampleKeyARN,
		AlarmTopicARN:    exampleTopicARN,
		LogRetentionDays: 30,
		WaitDeadline:     24 * time.Hour,
		AssetDir:         assetDir,
		StateMachineDir:  "../statemachines",

		EgressRefreshRequests:  []string{"testdata/egress-ip.json"},
		EgressRefreshInterval:  6 * time.Hour,
		EgressSecurityGroupIDs: []string{exampleSecurityGroup},
		CodeArtifactDomainARNs: []string{exampleDomainARN, exampleDomainARN2},
	}
}

const exampleSecurityGroup = "sg-0a1b2c3d4e5f60718"

// synth returns the stack for cfg, synthesising it on the first call for
// name.
func synth(t *testing.T, name string, cfg Config) synthResult {
	t.Helper()
	if r, ok := synthed[name]; ok {
		return r
	}
	app := awscdk.NewApp(&awscdk.AppProps{AnalyticsReporting: jsii.Bool(false), StackTraces: jsii.Bool(false)})
	stack, err := NewStack(app, "Repolink", &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-west-2")},
	}, cfg)
	if err != nil {
		t.Fatalf("NewStack: %v", err)
	}
	template := assertions.Template_FromStack(stack.Stack, nil)
	data, err := json.Marshal(template.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	r := synthResult{stack: stack, template: template, json: doc}
	synthed[name] = r
	return r
}

func fullStack(t *testing.T) synthResult {
	t.Helper()
	return synth(t, "full", fullConfig())
}

// check runs a CDK assertion, which reports a mismatch by panicking.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}

// definitions returns the definitions in statemachines/, which decide the
// step functions that the stack deploys.
func definitions(t *testing.T) []Definition {
	t.Helper()
	defs, err := LoadDefinitions("../statemachines", 24*time.Hour)
	if err != nil {
		t.Fatalf("LoadDefinitions: %v", err)
	}
	return defs
}

// deployedTasks returns the tasks of every definition that get a function
// of their own, each once: all but the Azure and GCP tasks.
func deployedTasks(t *testing.T) []string {
	t.Helper()
	var tasks []string
	for _, def := range definitions(t) {
		for _, task := range def.Tasks {
			if !foreignTask(task) && !slices.Contains(tasks, task) {
				tasks = append(tasks, task)
			}
		}
	}
	return tasks
}

func TestStackResourceCounts(t *testing.T) {
	r := fullStack(t)
	defs := definitions(t)
	tasks := deployedTasks(t)
	functions := len(tasks) + 1 + 4 // plus unsupported_route, poller, webhook, operations and notifier
	groups := map[Group]bool{GroupUnsupported: true}
	for _, task := range tasks {
		spec, _ := stepSpec(task)
		groups[spec.Group] = true
	}
	counts := map[string]int{
		// One per step group, the four service roles, one per state
		// machine, and the scheduler's, one per target type.
		"AWS::IAM::Role":                   len(groups) + 4 + len(defs) + 2,
		"AWS::Lambda::Function":            functions,
		"AWS::Logs::LogGroup":              functions + len(defs),
		"AWS::StepFunctions::StateMachine": len(defs),
		"AWS::DynamoDB::Table":             1,
		"AWS::Scheduler::Schedule":         2, // poller and one egress refresh
		"AWS::ApiGatewayV2::Api":           1,
		"AWS::CloudWatch::Alarm":           len(defs) + 2,
		"AWS::Logs::MetricFilter":          1,
		"AWS::Events::Rule":                1,
		"AWS::Lambda::Permission":          4, // webhook, operations (two routes) and the notifier rule
		"AWS::SecretsManager::Secret":      0,
		"Custom::LogRetention":             0,
	}
	for typ, n := range counts {
		check(t, typ, func() { r.template.ResourceCountIs(jsii.String(typ), jsii.Number(n)) })
	}
}

func TestFunctionSettings(t *testing.T) {
	r := fullStack(t)
	var specs []FunctionSpec
	for _, task := range deployedTasks(t) {
		spec, _ := stepSpec(task)
		specs = append(specs, spec)
	}
	specs = append(specs, pollerSpec, webhookSpec, operationsSpec, notifierSpec)
	for _, spec := range specs {
		t.Run(spec.Handler, func(t *testing.T) {
			id, props := functionOf(t, r.json, spec.Handler)
			want := map[string]any{
				"Runtime":       "provided.al2023",
				"Architectures": []any{"arm64"},
				"Handler":       "bootstrap",
				"MemorySize":    float64(spec.MemoryMB),
				"Timeout":       spec.Timeout.Seconds(),
				"FunctionName":  "repolink-" + strings.ReplaceAll(spec.Handler, "_", "-"),
				"LogFormat":     "JSON",
				"RoleLogicalID": constructID(string(spec.Group)) + "Role",
			}
			logging, _ := props["LoggingConfig"].(map[string]any)
			got := map[string]any{
				"Runtime":       props["Runtime"],
				"Architectures": props["Architectures"],
				"Handler":       props["Handler"],
				"MemorySize":    props["MemorySize"],
				"Timeout":       props["Timeout"],
				"FunctionName":  props["FunctionName"],
				"LogFormat":     logging["LogFormat"],
				"RoleLogicalID": trimHash(logicalIDOf(props["Role"])),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("function %s mismatch (-want +got):\n%s", id, diff)
			}
		})
	}
}

func TestFunctionLogGroups(t *testing.T) {
	r := fullStack(t)
	resources := r.json["Resources"].(map[string]any)
	for id, res := range resourcesOfType(r.json, "AWS::Lambda::Function") {
		logging, _ := res["LoggingConfig"].(map[string]any)
		groupID := logicalIDOf(logging["LogGroup"])
		group, ok := resources[groupID].(map[string]any)
		if !ok {
			t.Errorf("function %s: LoggingConfig.LogGroup %v is not a resource of this stack", id, logging["LogGroup"])
			continue
		}
		if group["Type"] != "AWS::Logs::LogGroup" {
			t.Errorf("function %s logs to %s of type %v, want AWS::Logs::LogGroup", id, groupID, group["Type"])
		}
		if group["DeletionPolicy"] != "Retain" {
			t.Errorf("log group %s has DeletionPolicy %v, want Retain", groupID, group["DeletionPolicy"])
		}
	}
	for id, props := range resourcesOfType(r.json, "AWS::Logs::LogGroup") {
		if props["RetentionInDays"] != float64(30) {
			t.Errorf("log group %s has RetentionInDays %v, want 30", id, props["RetentionInDays"])
		}
	}
}

func TestDefinitionSubstitutions(t *testing.T) {
	r := fullStack(t)
	machines := machinesByName(r.json)
	unsupportedID, _ := functionOf(t, r.json, unsupportedSpec.Handler)
	for _, mf := range machineFiles {
		t.Run(mf.Key, func(t *testing.T) {
			asl, err := os.ReadFile(filepath.Join("../statemachines", mf.File))
			if err != nil {
				t.Fatal(err)
			}
			props, ok := machines["repolink-"+mf.Key]
			if !ok {
				t.Fatalf("stack has no state machine repolink-%s", mf.Key)
			}
			if props["StateMachineType"] != "STANDARD" {
				t.Errorf("StateMachineType = %v, want STANDARD", props["StateMachineType"])
			}
			if _, ok := props["DefinitionS3Location"]; ok {
				t.Error("definition is an S3 asset, want it inline")
			}
			// The stack changes only a start state that lets Azure or GCP
			// routes through, and the partition of service integrations.
			asl, err = rejectForeignRoutes(asl)
			if err != nil {
				t.Fatal(err)
			}
			deployed, _ := withStackPartition(string(asl))
			if props["DefinitionString"] != deployed {
				t.Errorf("DefinitionString differs from statemachines/%s", mf.File)
			}

			substitutions, _ := props["DefinitionSubstitutions"].(map[string]any)
			definition := deployed
			if _, ok := substitutions[partitionSubstitution]; ok {
				definition = strings.ReplaceAll(definition, "${"+partitionSubstitution+"}", "aws")
			}
			for _, match := range placeholderPattern.FindAllStringSubmatch(definition, -1) {
				task := match[1]
				functionID := unsupportedID
				if !foreignTask(task) {
					functionID, _ = functionOf(t, r.json, task)
				}
				want := map[string]any{"Fn::GetAtt": []any{functionID, "Arn"}}
				if diff := cmp.Diff(want, substitutions[task]); diff != "" {
					t.Errorf("substitution ${%s} mismatch (-want +got):\n%s", task, diff)
				}
				definition = strings.ReplaceAll(definition, match[0], fakeFunctionARN(functionID))
			}

			if strings.Contains(definition, "${") {
				t.Error("definition keeps a ${...} placeholder after substitution")
			}
			var parsed map[string]any
			if err := json.Unmarshal([]byte(definition), &parsed); err != nil {
				t.Fatalf("substituted definition is not JSON: %v", err)
			}
		})
	}
}

func TestProvisionCallbackSubstituted(t *testing.T) {
	r := fullStack(t)
	props := machinesByName(r.json)["repolink-provision"]
	definition := props["DefinitionString"].(string)
	for _, match := range placeholderPattern.FindAllStringSubmatch(definition, -1) {
		if match[1] != partitionSubstitution && !foreignTask(match[1]) {
			functionID, _ := functionOf(t, r.json, match[1])
			definition = strings.ReplaceAll(definition, match[0], fakeFunctionARN(functionID))
		}
	}
	var parsed map[string]any
	if err := json.Unmarshal([]byte(definition), &parsed); err != nil {
		t.Fatalf("substituted definition is not JSON: %v", err)
	}
	callback := parsed["States"].(map[string]any)["AwaitEndpoint"].(map[string]any)
	awaitID, _ := functionOf(t, r.json, "await_endpoint")
	if got := callback["Parameters"].(map[string]any)["FunctionName"]; got != fakeFunctionARN(awaitID) {
		t.Errorf("AwaitEndpoint FunctionName = %v, want the await_endpoint function", got)
	}
}

func TestForeignTasksShareUnsupportedFunction(t *testing.T) {
	r := fullStack(t)
	id, props := functionOf(t, r.json, unsupportedSpec.Handler)
	code, _ := props["Code"].(map[string]any)
	want := map[string]any{
		"Runtime":       "python3.13",
		"Handler":       "index.handler",
		"ZipFile":       unsupportedRouteCode,
		"RoleLogicalID": "UnsupportedRole",
	}
	got := map[string]any{
		"Runtime":       props["Runtime"],
		"Handler":       props["Handler"],
		"ZipFile":       code["ZipFile"],
		"RoleLogicalID": trimHash(logicalIDOf(props["Role"])),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("function %s mismatch (-want +got):\n%s", id, diff)
	}

	var foreign []string
	for _, task := range definitions(t)[0].Tasks {
		if foreignTask(task) {
			foreign = append(foreign, task)
		}
	}
	if len(foreign) == 0 {
		t.Fatal("provision definition has no Azure or GCP task")
	}
	for _, task := range foreign {
		if got := r.stack.Functions[task]; got != r.stack.Functions[unsupportedSpec.Handler] {
			t.Errorf("task %s does not map to the unsupported_route function", task)
		}
	}
	for _, st := range policyStatements(t, r.json) {
		if st.Role == "UnsupportedRole" && !strings.HasPrefix(st.Actions[0], "logs:") {
			t.Errorf("unsupported role has statement %q with actions %q, want log writes only", st.Sid, st.Actions)
		}
	}
}

func TestFunctionEnvironment(t *testing.T) {
	r := fullStack(t)
	table := map[string]any{"Ref": *r.stack.Stack.GetLogicalId(r.stack.Table.Node().DefaultChild().(awscdk.CfnElement))}
	provision := map[string]any{"Ref": *r.stack.Stack.GetLogicalId(r.stack.Machines["provision"].Node().DefaultChild().(awscdk.CfnElement))}
	teardown := map[string]any{"Ref": *r.stack.Stack.GetLogicalId(r.stack.Machines["teardown"].Node().DefaultChild().(awscdk.CfnElement))}
	notifierID, _ := functionOf(t, r.json, "notifier")
	notifier := map[string]any{"Ref": notifierID}
	tests := []struct {
		handler string
		want    map[string]any
	}{
		{"await_endpoint", map[string]any{
			"REPOLINK_HANDLER":                      "await_endpoint",
			"REPOLINK_STATE_MACHINE_NAME_PROVISION": "repolink-provision",
			"REPOLINK_STATE_MACHINE_NAME_TEARDOWN":  "repolink-teardown",
			"REPOLINK_DYNAMODB_TABLE":               table,
			"REPOLINK_WEBHOOK_SECRET_ARN":           exampleWebhookARN,
			"REPOLINK_WAIT_DEADLINE":                "24h0m0s",
		}},
		{"poller", map[string]any{
			"REPOLINK_HANDLER":              "poller",
			"REPOLINK_DYNAMODB_TABLE":       table,
			"REPOLINK_WEBHOOK_SECRET_ARN":   exampleWebhookARN,
			"REPOLINK_CODEARTIFACT_DOMAINS": exampleDomainARN + "," + exampleDomainARN2,
			"REPOLINK_NOTIFIER_FUNCTION":    notifier,
		}},
		{"webhook", map[string]any{
			"REPOLINK_HANDLER":                     "webhook",
			"REPOLINK_DYNAMODB_TABLE":              table,
			"REPOLINK_STATE_MACHINE_ARN":           provision,
			"REPOLINK_STATE_MACHINE_NAME_TEARDOWN": "repolink-teardown",
			"REPOLINK_WEBHOOK_SECRET_ARN":          exampleWebhookARN,
			"REPOLINK_CODEARTIFACT_DOMAINS":        exampleDomainARN + "," + exampleDomainARN2,
		}},
		// The operations API reads the provision and teardown machines
		// only, so the egress-refresh machine's ARN is not set.
		{"operations", map[string]any{
			"REPOLINK_HANDLER":                     "operations",
			"REPOLINK_STATE_MACHINE_ARN_PROVISION": provision,
			"REPOLINK_STATE_MACHINE_ARN_TEARDOWN":  teardown,
		}},
		{"notifier", map[string]any{
			"REPOLINK_HANDLER":            "notifier",
			"REPOLINK_DYNAMODB_TABLE":     table,
			"REPOLINK_WEBHOOK_SECRET_ARN": exampleWebhookARN,
		}},
		{"preflight", map[string]any{
			"REPOLINK_HANDLER":                      "preflight",
			"REPOLINK_STATE_MACHINE_NAME_PROVISION": "repolink-provision",
			"REPOLINK_STATE_MACHINE_NAME_TEARDOWN":  "repolink-teardown",
			"REPOLINK_DYNAMODB_TABLE":               table,
			"REPOLINK_WEBHOOK_SECRET_ARN":           exampleWebhookARN,
			"REPOLINK_CODEARTIFACT_DOMAINS":         exampleDomainARN + "," + exampleDomainARN2,
		}},
		{"endpoint", map[string]any{
			"REPOLINK_HANDLER":                      "endpoint",
			"REPOLINK_STATE_MACHINE_NAME_PROVISION": "repolink-provision",
			"REPOLINK_STATE_MACHINE_NAME_TEARDOWN":  "repolink-teardown",
			"REPOLINK_DYNAMODB_TABLE":               table,
			"REPOLINK_WEBHOOK_SECRET_ARN":           exampleWebhookARN,
		}},
		{"teardown_endpoint", map[string]any{
			"REPOLINK_HANDLER":                      "teardown_endpoint",
			"REPOLINK_STATE_MACHINE_NAME_PROVISION": "repolink-provision",
			"REPOLINK_STATE_MACHINE_NAME_TEARDOWN":  "repolink-teardown",
			"REPOLINK_DYNAMODB_TABLE":               table,
			"REPOLINK_WEBHOOK_SECRET_ARN":           exampleWebhookARN,
		}},
		{"proxy_vm", map[string]any{
			"REPOLINK_HANDLER":                      "proxy_vm",
			"REPOLINK_STATE_MACHINE_NAME_PROVISION": "repolink-provision",
			"REPOLINK_STATE_MACHINE_NAME_TEARDOWN":  "repolink-teardown",
			"REPOLINK_DYNAMODB_TABLE":               table,
			"REPOLINK_WEBHOOK_SECRET_ARN":           exampleWebhookARN,
		}},
		{"egress_ranges", map[string]any{
			"REPOLINK_HANDLER":                      "egress_ranges",
			"REPOLINK_STATE_MACHINE_NAME_PROVISION": "repolink-provision",
			"REPOLINK_STATE_MACHINE_NAME_TEARDOWN":  "repolink-teardown",
			"REPOLINK_DYNAMODB_TABLE":               table,
			"REPOLINK_WEBHOOK_SECRET_ARN":           exampleWebhookARN,
		}},
		{"teardown_proxy_vm", map[string]any{
			"REPOLINK_HANDLER":                      "teardown_proxy_vm",
			"REPOLINK_STATE_MACHINE_NAME_PROVISION": "repolink-provision",
			"REPOLINK_STATE_MACHINE_NAME_TEARDOWN":  "repolink-teardown",
			"REPOLINK_DYNAMODB_TABLE":               table,
			"REPOLINK_WEBHOOK_SECRET_ARN":           exampleWebhookARN,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.handler, func(t *testing.T) {
			_, props := functionOf(t, r.json, tt.handler)
			got := environmentOf(props)
			delete(got, "SNOWFLAKE_DISABLE_PLATFORM_DETECTION")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("environment mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEveryFunctionDisablesPlatformDetection(t *testing.T) {
	r := fullStack(t)
	for id, props := range resourcesOfType(r.json, "AWS::Lambda::Function") {
		if got := environmentOf(props)["SNOWFLAKE_DISABLE_PLATFORM_DETECTION"]; got != "true" {
			t.Errorf("function %s has SNOWFLAKE_DISABLE_PLATFORM_DETECTION=%v, want true", id, got)
		}
	}
}

func TestEgressRefreshSchedule(t *testing.T) {
	r := fullStack(t)
	data, err := os.ReadFile("testdata/egress-ip.json")
	if err != nil {
		t.Fatal(err)
	}
	var request map[string]any
	if err := json.Unmarshal(data, &request); err != nil {
		t.Fatal(err)
	}

	var schedule map[string]any
	for _, props := range resourcesOfType(r.json, "AWS::Scheduler::Schedule") {
		if props["Name"] == "repolink-egress-refresh-DATA-4720" {
			schedule = props
		}
	}
	if schedule == nil {
		t.Fatal("stack has no schedule repolink-egress-refresh-DATA-4720")
	}
	if got := schedule["ScheduleExpression"]; got != "rate(6 hours)" {
		t.Errorf("ScheduleExpression = %v, want rate(6 hours)", got)
	}
	target := schedule["Target"].(map[string]any)
	machineID := *r.stack.Stack.GetLogicalId(r.stack.Machines[egressRefreshKey].Node().DefaultChild().(awscdk.CfnElement))
	if diff := cmp.Diff(map[string]any{"Ref": machineID}, target["Arn"]); diff != "" {
		t.Errorf("target ARN mismatch (-want +got):\n%s", diff)
	}
	var input map[string]any
	if err := json.Unmarshal([]byte(target["Input"].(string)), &input); err != nil {
		t.Fatalf("target input is not JSON: %v", err)
	}
	if diff := cmp.Diff(map[string]any{"request": request}, input); diff != "" {
		t.Errorf("target input mismatch (-want +got):\n%s", diff)
	}

	found := false
	for _, st := range policyStatements(t, r.json) {
		if strings.HasPrefix(st.Role, "SchedulerRoleForTarget") && slices.Contains(st.Actions, "states:StartExecution") &&
			slices.Contains(st.Resources, "{"+trimHash(machineID)+"}") {
			found = true
		}
	}
	if !found {
		t.Error("scheduler role cannot start the egress-refresh machine")
	}
}

func TestStateMachineLogging(t *testing.T) {
	r := fullStack(t)
	for _, mf := range machineFiles {
		name := "repolink-" + mf.Key
		check(t, name+" logging", func() {
			r.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
				"StateMachineName": name,
				"LoggingConfiguration": map[string]any{
					"Level":                "ALL",
					"IncludeExecutionData": false,
				},
			})
		})
		check(t, name+" log group", func() {
			r.template.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{
				"LogGroupName":    "/aws/vendedlogs/states/" + name,
				"RetentionInDays": 30,
			})
		})
	}
}

func TestNoWildcardActions(t *testing.T) {
	r := fullStack(t)
	statements := policyStatements(t, r.json)
	if len(statements) == 0 {
		t.Fatal("stack has no IAM statements")
	}
	for _, st := range statements {
		for _, action := range st.Actions {
			if strings.Contains(action, "*") {
				t.Errorf("role %s statement %q allows wildcard action %q", st.Role, st.Sid, action)
			}
		}
		// The one Deny keeps the webhook secret from the roles that read
		// request credentials (TestWebhookSecretDeniedToSteps).
		if st.Effect != "Allow" && st.Sid != "DenyWebhookKey" {
			t.Errorf("role %s statement %q has Effect %q, want Allow", st.Role, st.Sid, st.Effect)
		}
	}
}

func TestIAMStatements(t *testing.T) {
	r := fullStack(t)
	statements := policyStatements(t, r.json)
	arn := func(service, resource string) string {
		return "arn:aws:" + service + ":us-west-2:123456789012:" + resource
	}
	requestTag := map[string]any{"StringLike": map[string]any{"aws:RequestTag/repolink:request": "?*"}}
	resourceTag := map[string]any{"StringLike": map[string]any{"aws:ResourceTag/repolink:request": "?*"}}
	// The dynamo package keys every reservations item with this prefix.
	reservationKeys := map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": "endpoints#*"}}
	// The dynamo package keeps every wait in this one partition.
	waitKeys := map[string]any{"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": "wait"}}
	// The dynamo package keys every run item with this prefix.
	runKeys := map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": "run#*"}}
	runItemActions := []string{"dynamodb:GetItem", "dynamodb:PutItem"}
	// The webhook reads and writes tickets and claims, and only reads run
	// items.
	deliveryKeys := map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": "ticket#*"}}
	// The dynamo package keys every claim of a Snowflake object name or
	// index host with this prefix.
	claimKeys := map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": "claim#*"}}
	// The dynamo package keeps every claim on a credential expiry
	// notification in this partition, next to the expiry records in
	// "credential#expiries", which the notifier must not reach.
	noticeKeys := map[string]any{"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": "credential#notices"}}

	// Every step checks for the running executions of its request.
	runsOfRequestMachines := []string{
		arn("states", "stateMachine:repolink-provision"),
		arn("states", "stateMachine:repolink-teardown"),
	}
	runsOfRequestExecutions := []string{
		arn("states", "execution:repolink-provision:*"),
		arn("states", "execution:repolink-teardown:*"),
	}
	tests := []struct {
		role      string
		sid       string
		actions   []string
		resources []string
		condition any
	}{
		{"NetworkRole", "RunTaggedInstance", []string{"ec2:RunInstances"},
			[]string{arn("ec2", "instance/*")}, requestTag},
		{"NetworkRole", "ResolveImageParameter", []string{"ssm:GetParameters"},
			[]string{"arn:aws:ssm:us-west-2::parameter/aws/service/*"}, nil},
		{"PreflightRole", "ResolveImageParameter", []string{"ssm:GetParameters"},
			[]string{"arn:aws:ssm:us-west-2::parameter/aws/service/*"}, nil},
		{"NetworkRole", "CreateEndpointService", []string{"ec2:CreateVpcEndpointServiceConfiguration"},
			[]string{arn("ec2", "vpc-endpoint-service/*")}, requestTag},
		{"NetworkRole", "ReadStepSecrets", []string{"secretsmanager:GetSecretValue"},
			[]string{exampleSecretARN, exampleSecretARN2}, nil},
		{"SnowflakeRole", "ReadStepSecrets", []string{"secretsmanager:GetSecretValue"},
			[]string{exampleSecretARN, exampleSecretARN2}, nil},
		{"SnowflakeRole", "ReadStepSecretsKey", []string{"kms:Decrypt"}, []string{exampleKeyARN},
			map[string]any{"StringEquals": map[string]any{"kms:ViaService": "secretsmanager.us-west-2.amazonaws.com"}}},
		{"PollerRole", "ReadStepSecrets", []string{"secretsmanager:GetSecretValue"},
			[]string{exampleSecretARN, exampleSecretARN2}, nil},
		{"PollerRole", "CompleteTaskTokens",
			[]string{"states:SendTaskSuccess", "states:SendTaskFailure"},
			[]string{"*"}, nil},
		{"NetworkRole", "RecordTarget", []string{"elasticloadbalancing:AddTags"},
			[]string{arn("elasticloadbalancing", "targetgroup/rl-*/*")}, map[string]any{
				"StringLike":                map[string]any{"aws:ResourceTag/repolink:request": "?*"},
				"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": []any{"repolink:target"}},
			}},
		{"NetworkRole", "CreateListener", []string{"elasticloadbalancing:CreateListener"}, []string{
			arn("elasticloadbalancing", "loadbalancer/net/rl-*/*"),
			arn("elasticloadbalancing", "listener/net/rl-*/*/*"),
		}, nil},
		{"NetworkRole", "DescribeNetwork", []string{
			"ec2:DescribeInstances",
			"ec2:DescribeVpcEndpointServiceConfigurations",
			"ec2:DescribeVpcEndpointServicePermissions",
			"ec2:DescribeVpcEndpointConnections",
			"elasticloadbalancing:DescribeTargetGroups",
			"elasticloadbalancing:DescribeTargetHealth",
			"elasticloadbalancing:DescribeTargetGroupAttributes",
			"elasticloadbalancing:DescribeLoadBalancers",
			"elasticloadbalancing:DescribeLoadBalancerAttributes",
			"elasticloadbalancing:DescribeListeners",
			"elasticloadbalancing:DescribeTags",
		}, []string{"*"}, nil},
		{"NetworkRole", "DescribeZones", []string{"ec2:DescribeAvailabilityZones", "ec2:DescribeSubnets"},
			[]string{"*"}, nil},
		{"PreflightRole", "DescribeZones", []string{"ec2:DescribeAvailabilityZones", "ec2:DescribeSubnets"},
			[]string{"*"}, nil},
		{"NetworkRole", "DescribeLaunchInputs", []string{"ec2:DescribeVpcs", "ec2:DescribeInstanceTypes", "ec2:DescribeImages", "ec2:DescribeSecurityGroups"},
			[]string{"*"}, nil},
		{"PreflightRole", "DescribeLaunchInputs", []string{"ec2:DescribeVpcs", "ec2:DescribeInstanceTypes", "ec2:DescribeImages", "ec2:DescribeSecurityGroups"},
			[]string{"*"}, nil},
		{"TeardownRole", "TerminateTaggedInstances", []string{"ec2:TerminateInstances"},
			[]string{arn("ec2", "instance/*")}, resourceTag},
		{"TeardownRole", "DeleteTaggedEndpointServices",
			[]string{"ec2:RejectVpcEndpointConnections", "ec2:DeleteVpcEndpointServiceConfigurations"},
			[]string{arn("ec2", "vpc-endpoint-service/*")}, resourceTag},
		{"TeardownRole", "DeleteTaggedLoadBalancing",
			[]string{"elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteTargetGroup"},
			[]string{
				arn("elasticloadbalancing", "targetgroup/rl-*/*"),
				arn("elasticloadbalancing", "loadbalancer/net/rl-*/*"),
			}, resourceTag},
		{"TeardownRole", "DeleteListeners", []string{"elasticloadbalancing:DeleteListener"},
			[]string{arn("elasticloadbalancing", "listener/net/rl-*/*/*")}, nil},
		{"FirewallRole", "DescribeRules", []string{"ec2:DescribeSecurityGroupRules"}, []string{"*"}, nil},
		{"FirewallRole", "AuthorizeTaggedRules", []string{"ec2:AuthorizeSecurityGroupIngress"},
			[]string{arn("ec2", "security-group-rule/*")}, requestTag},
		{"FirewallRole", "ChangeGroupRules",
			[]string{"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"},
			[]string{arn("ec2", "security-group/"+exampleSecurityGroup)}, nil},
		{"FirewallRole", "DescribeRulesOwner", []string{"ec2:UpdateSecurityGroupRuleDescriptionsIngress"},
			[]string{arn("ec2", "security-group/"+exampleSecurityGroup), arn("ec2", "security-group-rule/*")}, nil},
		{"FirewallRole", "TagRulesOnCreate", []string{"ec2:CreateTags"},
			[]string{arn("ec2", "security-group-rule/*")},
			map[string]any{"StringEquals": map[string]any{"ec2:CreateAction": "AuthorizeSecurityGroupIngress"}}},
		{"FirewallRole", "ShareRules", []string{"ec2:CreateTags", "ec2:DeleteTags"},
			[]string{arn("ec2", "security-group-rule/*")},
			map[string]any{"ForAllValues:StringLike": map[string]any{
				"aws:TagKeys": []any{"repolink:request", "repolink:adopted-by:*", "repolink:releasing"},
			}}},
		{"SnowflakeRole", "DescribeEndpointServices", []string{"ec2:DescribeVpcEndpointServiceConfigurations"},
			[]string{"*"}, nil},
		{"WaitRole", "RegisterWait", []string{"dynamodb:PutItem"}, []string{"{WaitsTable.Arn}"}, waitKeys},
		{"PollerRole", "ReadAndRemoveWaits", []string{"dynamodb:Query", "dynamodb:DeleteItem"},
			[]string{"{WaitsTable.Arn}"}, waitKeys},
		{"PreflightRole", "ReserveEndpoints", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
			[]string{"{WaitsTable.Arn}"}, reservationKeys},
		{"SnowflakeRole", "ReserveEndpoints", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
			[]string{"{WaitsTable.Arn}"}, reservationKeys},
		{"WebhookRole", "RecordDeliveries", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
			[]string{"{WaitsTable.Arn}"}, deliveryKeys},
		{"WebhookRole", "ReadRunItems", []string{"dynamodb:GetItem"}, []string{"{WaitsTable.Arn}"}, runKeys},
		{"WebhookRole", "ClaimSnowflakeNames",
			[]string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"},
			[]string{"{WaitsTable.Arn}"}, claimKeys},
		{"WebhookRole", "StartProvision", []string{"states:StartExecution"},
			[]string{arn("states", "stateMachine:repolink-provision")}, nil},
		{"WebhookRole", "DescribeProvisionRuns", []string{"states:DescribeExecution", "states:GetExecutionHistory"},
			[]string{arn("states", "execution:repolink-provision:*")}, nil},
		{"WebhookRole", "ListTeardowns", []string{"states:ListExecutions"},
			[]string{arn("states", "stateMachine:repolink-teardown")}, nil},
		{"WebhookRole", "DescribeTeardowns", []string{"states:DescribeExecution"},
			[]string{arn("states", "execution:repolink-teardown:*")}, nil},
		{"WebhookRole", "ReadWebhookKey", []string{"secretsmanager:GetSecretValue"},
			[]string{exampleWebhookARN}, nil},
		{"NotifierRole", "DescribeProvisionRuns", []string{"states:DescribeExecution", "states:GetExecutionHistory"},
			[]string{arn("states", "execution:repolink-provision:*"), arn("states", "execution:repolink-teardown:*")}, nil},
		{"NotifierRole", "ReleaseEndpoints", []string{"dynamodb:UpdateItem"},
			[]string{"{WaitsTable.Arn}"}, reservationKeys},
		{"NotifierRole", "ReadWebhookKey", []string{"secretsmanager:GetSecretValue"},
			[]string{exampleWebhookARN}, nil},
		{"NotifierRole", "ReadWebhookKeyKey", []string{"kms:Decrypt"}, []string{exampleKeyARN},
			map[string]any{"StringEquals": map[string]any{"kms:ViaService": "secretsmanager.us-west-2.amazonaws.com"}}},
		{"OperationsRole", "ListRuns", []string{"states:ListExecutions"}, runsOfRequestMachines, nil},
		{"OperationsRole", "InspectRuns", []string{"states:DescribeExecution", "states:GetExecutionHistory"},
			runsOfRequestExecutions, nil},
		{"PreflightRole", "ListRunsOfRequest", []string{"states:ListExecutions"}, runsOfRequestMachines, nil},
		{"PreflightRole", "DescribeRunsOfRequest", []string{"states:DescribeExecution"}, runsOfRequestExecutions, nil},
		{"NetworkRole", "ListRunsOfRequest", []string{"states:ListExecutions"}, runsOfRequestMachines, nil},
		{"NetworkRole", "DescribeRunsOfRequest", []string{"states:DescribeExecution"}, runsOfRequestExecutions, nil},
		{"SnowflakeRole", "ListRunsOfRequest", []string{"states:ListExecutions"}, runsOfRequestMachines, nil},
		{"SnowflakeRole", "DescribeRunsOfRequest", []string{"states:DescribeExecution"}, runsOfRequestExecutions, nil},
		{"TeardownRole", "ListRunsOfRequest", []string{"states:ListExecutions"}, runsOfRequestMachines, nil},
		{"TeardownRole", "DescribeRunsOfRequest", []string{"states:DescribeExecution"}, runsOfRequestExecutions, nil},
		{"FirewallRole", "ListRunsOfRequest", []string{"states:ListExecutions"}, runsOfRequestMachines, nil},
		{"FirewallRole", "DescribeRunsOfRequest", []string{"states:DescribeExecution"}, runsOfRequestExecutions, nil},
		{"WaitRole", "ListRunsOfRequest", []string{"states:ListExecutions"}, runsOfRequestMachines, nil},
		{"WaitRole", "DescribeRunsOfRequest", []string{"states:DescribeExecution"}, runsOfRequestExecutions, nil},
		{"PreflightRole", "HoldRunOfRequest", runItemActions, []string{"{WaitsTable.Arn}"}, runKeys},
		{"NetworkRole", "HoldRunOfRequest", runItemActions, []string{"{WaitsTable.Arn}"}, runKeys},
		{"SnowflakeRole", "HoldRunOfRequest", runItemActions, []string{"{WaitsTable.Arn}"}, runKeys},
		{"TeardownRole", "HoldRunOfRequest", runItemActions, []string{"{WaitsTable.Arn}"}, runKeys},
		{"FirewallRole", "HoldRunOfRequest", runItemActions, []string{"{WaitsTable.Arn}"}, runKeys},
		{"WaitRole", "HoldRunOfRequest", runItemActions, []string{"{WaitsTable.Arn}"}, runKeys},
		{"NotifierRole", "ReleaseRunsOfRequest", []string{"dynamodb:UpdateItem"}, []string{"{WaitsTable.Arn}"}, runKeys},
		{"NotifierRole", "ClaimCredentialNotices", []string{"dynamodb:PutItem", "dynamodb:DeleteItem"},
			[]string{"{WaitsTable.Arn}"}, noticeKeys},
	}
	for _, tt := range tests {
		t.Run(tt.role+"/"+tt.sid, func(t *testing.T) {
			st, ok := findStatement(statements, tt.role, tt.sid)
			if !ok {
				t.Fatalf("role %s has no statement %q", tt.role, tt.sid)
			}
			if diff := cmp.Diff(tt.actions, st.Actions); diff != "" {
				t.Errorf("actions mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.resources, st.Resources); diff != "" {
				t.Errorf("resources mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.condition, st.Condition); diff != "" {
				t.Errorf("condition mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDynamoDBStatementsLimitPartitions(t *testing.T) {
	r := fullStack(t)
	for _, st := range policyStatements(t, r.json) {
		if st.Effect != "Allow" || !slices.ContainsFunc(st.Actions, isDynamoDBAction) {
			continue
		}
		condition, _ := st.Condition.(map[string]any)
		limited := false
		for _, operator := range []string{"ForAllValues:StringEquals", "ForAllValues:StringLike"} {
			keys, _ := condition[operator].(map[string]any)
			if _, ok := keys["dynamodb:LeadingKeys"]; ok {
				limited = true
			}
		}
		if !limited {
			t.Errorf("role %s statement %q allows %v on the whole table; want a dynamodb:LeadingKeys condition",
				st.Role, st.Sid, st.Actions)
		}
	}
}

func isDynamoDBAction(action string) bool { return strings.HasPrefix(action, "dynamodb:") }

func TestSecretReadsLimitedToReferencedARNs(t *testing.T) {
	r := fullStack(t)
	want := map[string][]string{
		"NetworkRole":   {exampleSecretARN, exampleSecretARN2},
		"SnowflakeRole": {exampleSecretARN, exampleSecretARN2},
		"PollerRole":    {exampleSecretARN, exampleSecretARN2},
		"FirewallRole":  {exampleSecretARN, exampleSecretARN2},
		"WebhookRole":   {exampleWebhookARN},
		"NotifierRole":  {exampleWebhookARN},
	}
	if slices.Contains(deployedTasks(t), "preflight") {
		want["PreflightRole"] = []string{exampleSecretARN, exampleSecretARN2}
	}
	got := map[string][]string{}
	for _, st := range policyStatements(t, r.json) {
		if st.Effect == "Allow" && slices.Contains(st.Actions, "secretsmanager:GetSecretValue") {
			got[st.Role] = append(got[st.Role], st.Resources...)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetSecretValue resources by role mismatch (-want +got):\n%s", diff)
	}
}

// TestWebhookSecretDeniedToSteps lists the webhook secret in secretArns
// too, as an operator might. The roles that read the listed secrets for
// requests must deny it explicitly, which overrides that allow. Only the
// webhook and the notifier may read it.
func TestWebhookSecretDeniedToSteps(t *testing.T) {
	cfg := fullConfig()
	cfg.SecretARNs = append(cfg.SecretARNs, exampleWebhookARN)
	r := synth(t, "webhook-secret-listed", cfg)
	statements := policyStatements(t, r.json)

	readers := map[string]bool{}
	for _, st := range statements {
		if st.Effect == "Allow" && slices.Contains(st.Actions, "secretsmanager:GetSecretValue") &&
			slices.Contains(st.Resources, exampleWebhookARN) {
			readers[st.Role] = true
		}
	}
	want := []string{"PreflightRole", "NetworkRole", "SnowflakeRole", "FirewallRole", "PollerRole", "WebhookRole", "NotifierRole"}
	if !slices.Contains(deployedTasks(t), "preflight") {
		want = want[1:]
	}
	for _, role := range want {
		if !readers[role] {
			t.Errorf("%s is not allowed the webhook secret, want it allowed through secretArns or as its own key", role)
		}
	}
	for role := range readers {
		t.Run(role, func(t *testing.T) {
			st, denied := findStatement(statements, role, "DenyWebhookKey")
			if role == "WebhookRole" || role == "NotifierRole" {
				if denied {
					t.Errorf("%s denies the webhook secret, which it reads", role)
				}
				return
			}
			if !denied {
				t.Fatalf("%s has no statement DenyWebhookKey", role)
			}
			if st.Effect != "Deny" {
				t.Errorf("effect = %s, want Deny", st.Effect)
			}
			if diff := cmp.Diff([]string{"secretsmanager:GetSecretValue"}, st.Actions); diff != "" {
				t.Errorf("actions mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{exampleWebhookARN}, st.Resources); diff != "" {
				t.Errorf("resources mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFullStackHasNoWarnings(t *testing.T) {
	r := fullStack(t)
	if len(r.stack.Warnings) != 0 {
		t.Errorf("stack has warnings %q, want none", r.stack.Warnings)
	}
}

func TestSecurityGroupScopeRequired(t *testing.T) {
	cfg := fullConfig()
	cfg.EgressSecurityGroupIDs = nil
	app := awscdk.NewApp(&awscdk.AppProps{AnalyticsReporting: jsii.Bool(false), StackTraces: jsii.Bool(false)})
	_, err := NewStack(app, "Repolink", nil, cfg)
	if err == nil {
		t.Fatal("NewStack returned no error for egress refresh requests without egressSecurityGroupIds")
	}
	for _, key := range []string{"egressSecurityGroupIds", "egressAnySecurityGroup=true"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}
}

// TestNoSecurityGroupsChangesNone synthesizes a stack without egress
// refresh requests and without egressSecurityGroupIds. The firewall role
// must change no security group, and synth must warn that egress-ip
// requests fail.
func TestNoSecurityGroupsChangesNone(t *testing.T) {
	cfg := fullConfig()
	cfg.EgressSecurityGroupIDs = nil
	cfg.EgressRefreshRequests = nil
	r := synth(t, "no-security-groups", cfg)

	for _, st := range policyStatements(t, r.json) {
		if st.Role != "FirewallRole" || st.Effect != "Allow" {
			continue
		}
		for _, action := range st.Actions {
			if action != "ec2:DescribeSecurityGroupRules" && strings.HasPrefix(action, "ec2:") {
				t.Errorf("firewall role is allowed %s (statement %s), want only reads", action, st.Sid)
			}
		}
	}
	if !slices.ContainsFunc(r.stack.Warnings, func(w string) bool {
		return strings.Contains(w, "egressSecurityGroupIds is not set") && strings.Contains(w, "AccessDenied")
	}) {
		t.Errorf("stack has warnings %q, want one that egress-ip requests fail without egressSecurityGroupIds", r.stack.Warnings)
	}
}

func TestNoSecretARNsWarns(t *testing.T) {
	cfg := fullConfig()
	cfg.SecretARNs = nil
	r := synth(t, "no-secrets", cfg)
	if len(r.stack.Warnings) != 1 {
		t.Fatalf("stack has warnings %q, want one", r.stack.Warnings)
	}
	if !strings.Contains(r.stack.Warnings[0], "secretArns") {
		t.Errorf("warning %q does not name secretArns", r.stack.Warnings[0])
	}
}

func TestWaitsTable(t *testing.T) {
	r := fullStack(t)
	check(t, "waits table", func() {
		r.template.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"DeletionPolicy": "Retain",
			"Properties": map[string]any{
				"BillingMode":                      "PAY_PER_REQUEST",
				"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
				"TimeToLiveSpecification":          map[string]any{"AttributeName": "expires_at", "Enabled": true},
			},
		})
	})
}

func TestPollerSchedule(t *testing.T) {
	r := fullStack(t)
	pollerID, _ := functionOf(t, r.json, "poller")
	check(t, "poller schedule", func() {
		r.template.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
			"ScheduleExpression": "rate(1 minute)",
			"State":              "ENABLED",
			"Target": assertions.Match_ObjectLike(&map[string]any{
				"Arn":         map[string]any{"Fn::GetAtt": []any{pollerID, "Arn"}},
				"RetryPolicy": map[string]any{"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60},
			}),
		})
	})
}

func TestHTTPRoutes(t *testing.T) {
	r := fullStack(t)
	tests := []struct {
		routeKey      string
		authorization string
	}{
		{"POST /webhook", "NONE"},
		{"ANY /operations", "AWS_IAM"},
		{"ANY /operations/{proxy+}", "AWS_IAM"},
	}
	for _, tt := range tests {
		check(t, tt.routeKey, func() {
			r.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{
				"RouteKey":          tt.routeKey,
				"AuthorizationType": tt.authorization,
			})
		})
	}
	check(t, "route count", func() {
		r.template.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Route"), jsii.Number(len(tests)))
	})
}

func TestAlarms(t *testing.T) {
	r := fullStack(t)
	tests := []struct {
		name      string
		metric    string
		namespace string
	}{
		{"failed executions", "ExecutionsFailed", "AWS/States"},
		{"poller errors", "Errors", "AWS/Lambda"},
		{"waits near deadline", nearDeadlineMetric, "Repolink/repolink"},
	}
	for _, tt := range tests {
		check(t, tt.name, func() {
			r.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
				"MetricName":   tt.metric,
				"Namespace":    tt.namespace,
				"AlarmActions": []any{exampleTopicARN},
			})
		})
	}
	check(t, "near-deadline metric filter", func() {
		r.template.HasResourceProperties(jsii.String("AWS::Logs::MetricFilter"), map[string]any{
			"FilterPattern": `{ $.msg = "` + nearDeadlineMessage + `" }`,
		})
	})
}

func TestOutputs(t *testing.T) {
	r := fullStack(t)
	for _, name := range []string{"WebhookUrl", "OperationsUrl", "WaitsTableName", "ProvisionStateMachineArn"} {
		check(t, name, func() { r.template.HasOutput(jsii.String(name), map[string]any{}) })
	}
}

func TestOptionalMachinesAndPlaceholderAsset(t *testing.T) {
	machines := t.TempDir()
	provision, err := os.ReadFile("../statemachines/provision.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	writeDefinition(t, machines, "provision.asl.json", string(provision))
	writeDefinition(t, machines, "teardown.asl.json", taskDefinition("${proxy_vm}", ""))

	cfg := fullConfig()
	cfg.StateMachineDir = machines
	cfg.AssetDir = t.TempDir() // no bootstrap
	cfg.WebhookSecretARN = ""
	cfg.EgressRefreshRequests = nil
	cfg.EgressSecurityGroupIDs = nil
	cfg.EgressAnySecurityGroup = true
	r := synth(t, "teardown", cfg)

	check(t, "two state machines", func() {
		r.template.ResourceCountIs(jsii.String("AWS::StepFunctions::StateMachine"), jsii.Number(2))
	})
	check(t, "teardown output", func() {
		r.template.HasOutput(jsii.String("TeardownStateMachineArn"), map[string]any{})
	})
	statements := policyStatements(t, r.json)
	st, ok := findStatement(statements, "OperationsRole", "ListRuns")
	if !ok {
		t.Fatal("operations role has no ListRuns statement")
	}
	want := []string{
		"arn:aws:states:us-west-2:123456789012:stateMachine:repolink-provision",
		"arn:aws:states:us-west-2:123456789012:stateMachine:repolink-teardown",
	}
	if diff := cmp.Diff(want, st.Resources); diff != "" {
		t.Errorf("ListRuns resources mismatch (-want +got):\n%s", diff)
	}
	if _, ok := findStatement(statements, "WebhookRole", "ReadWebhookKey"); ok {
		t.Error("webhook role reads a secret although no webhook secret is configured")
	}
	if _, ok := findStatement(statements, "NotifierRole", "ReadWebhookKey"); ok {
		t.Error("notifier role reads a secret although no webhook secret is configured")
	}
	_, notifier := functionOf(t, r.json, "notifier")
	notifierEnv := environmentOf(notifier)
	delete(notifierEnv, "REPOLINK_DYNAMODB_TABLE")
	if diff := cmp.Diff(map[string]any{"REPOLINK_HANDLER": "notifier", "SNOWFLAKE_DISABLE_PLATFORM_DETECTION": "true"}, notifierEnv); diff != "" {
		t.Errorf("notifier environment without a webhook secret (-want +got):\n%s", diff)
	}

	if len(r.stack.Warnings) != 3 {
		t.Errorf("stack has %d warnings, want 3: %q", len(r.stack.Warnings), r.stack.Warnings)
	}
	annotations := assertions.Annotations_FromStack(r.stack.Stack)
	for _, message := range []string{"*placeholder*", "*webhookSecretArn is not set*", "*egressSecurityGroupIds is not set*"} {
		check(t, "warning "+message, func() {
			annotations.HasWarning(jsii.String("/Repolink"), assertions.Match_StringLikeRegexp(jsii.String(
				strings.ReplaceAll(message, "*", ".*"))))
		})
	}
}

// statementInfo is one IAM statement with intrinsic functions rendered as
// text, such as {WaitsTable.Arn}.
type statementInfo struct {
	Role      string
	Sid       string
	Effect    string
	Actions   []string
	Resources []string
	Condition any
}

// policyStatements collects the statements of every AWS::IAM::Policy and
// of every inline role policy.
func policyStatements(t *testing.T, template map[string]any) []statementInfo {
	t.Helper()
	var out []statementInfo
	add := func(role string, document any) {
		doc, _ := document.(map[string]any)
		list, _ := doc["Statement"].([]any)
		for _, item := range list {
			st := item.(map[string]any)
			sid, _ := st["Sid"].(string)
			effect, _ := st["Effect"].(string)
			info := statementInfo{Role: role, Sid: sid, Effect: effect, Condition: st["Condition"]}
			info.Actions = stringList(st["Action"])
			for _, res := range asList(st["Resource"]) {
				info.Resources = append(info.Resources, render(res))
			}
			out = append(out, info)
		}
	}
	for id, props := range resourcesOfType(template, "AWS::IAM::Policy") {
		roles := asList(props["Roles"])
		if len(roles) != 1 {
			t.Fatalf("policy %s attaches to %d roles, want 1", id, len(roles))
		}
		add(trimHash(logicalIDOf(roles[0])), props["PolicyDocument"])
	}
	for id, props := range resourcesOfType(template, "AWS::IAM::Role") {
		for _, policy := range asList(props["Policies"]) {
			add(trimHash(id), policy.(map[string]any)["PolicyDocument"])
		}
	}
	return out
}

func findStatement(statements []statementInfo, role, sid string) (statementInfo, bool) {
	for _, st := range statements {
		if st.Role == role && st.Sid == sid {
			return st, true
		}
	}
	return statementInfo{}, false
}

// functionOf returns the logical ID and properties of the function whose
// REPOLINK_HANDLER is handler.
func functionOf(t *testing.T, template map[string]any, handler string) (string, map[string]any) {
	t.Helper()
	for id, props := range resourcesOfType(template, "AWS::Lambda::Function") {
		env, _ := props["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		if vars["REPOLINK_HANDLER"] == handler {
			return id, props
		}
	}
	t.Fatalf("no function has REPOLINK_HANDLER=%s", handler)
	return "", nil
}

// machinesByName returns the properties of each state machine by its
// StateMachineName.
func machinesByName(template map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, props := range resourcesOfType(template, "AWS::StepFunctions::StateMachine") {
		name, _ := props["StateMachineName"].(string)
		out[name] = props
	}
	return out
}

// environmentOf returns the environment variables of a function.
func environmentOf(props map[string]any) map[string]any {
	env, _ := props["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	out := map[string]any{}
	for k, v := range vars {
		out[k] = v
	}
	return out
}

// resourcesOfType returns the properties of each resource of typ by logical
// ID.
func resourcesOfType(template map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	resources, _ := template["Resources"].(map[string]any)
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		res := resources[id].(map[string]any)
		if res["Type"] != typ {
			continue
		}
		props, _ := res["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		out[id] = props
	}
	return out
}

// render turns a CloudFormation value into text: Fn::Join is joined, the
// partition becomes "aws", and other references become {ID} or {ID.Attr}.
func render(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if join, ok := v["Fn::Join"].([]any); ok {
			var parts []string
			for _, part := range join[1].([]any) {
				parts = append(parts, render(part))
			}
			return strings.Join(parts, join[0].(string))
		}
		if ref, ok := v["Ref"].(string); ok {
			if ref == "AWS::Partition" {
				return "aws"
			}
			return "{" + trimHash(ref) + "}"
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok {
			return fmt.Sprintf("{%s.%s}", trimHash(att[0].(string)), att[1])
		}
	}
	return fmt.Sprint(v)
}

// logicalIDOf returns the logical ID in a Ref or Fn::GetAtt.
func logicalIDOf(v any) string {
	m, _ := v.(map[string]any)
	if ref, ok := m["Ref"].(string); ok {
		return ref
	}
	if att, ok := m["Fn::GetAtt"].([]any); ok {
		return att[0].(string)
	}
	return ""
}

// trimHash drops the eight-character hash that the CDK appends to logical
// IDs, so that tests can name resources by construct ID.
func trimHash(id string) string {
	if len(id) > 8 && strings.Trim(id[len(id)-8:], "0123456789ABCDEF") == "" {
		return id[:len(id)-8]
	}
	return id
}

func fakeFunctionARN(logicalID string) string {
	return "arn:aws:lambda:us-west-2:123456789012:function:" + logicalID
}

func asList(v any) []any {
	if list, ok := v.([]any); ok {
		return list
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func stringList(v any) []string {
	var out []string
	for _, item := range asList(v) {
		out = append(out, fmt.Sprint(item))
	}
	return out
}
