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
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("stand-in for the Lambda bootstrap\n"), 0o755); err != nil {
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
	}
}

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

// provisionTasks returns the task names in the provision definition, which
// decide the step functions that the stack deploys.
func provisionTasks(t *testing.T) []string {
	t.Helper()
	defs, err := LoadDefinitions("../statemachines", 24*time.Hour)
	if err != nil {
		t.Fatalf("LoadDefinitions: %v", err)
	}
	return defs[0].Tasks
}

func TestStackResourceCounts(t *testing.T) {
	r := fullStack(t)
	tasks := provisionTasks(t)
	functions := len(tasks) + 3 // plus poller, webhook and operations
	groups := map[Group]bool{}
	for _, task := range tasks {
		spec, _ := stepSpec(task)
		groups[spec.Group] = true
	}
	counts := map[string]int{
		// One per step group, the three service roles, the state machine's
		// and the scheduler's.
		"AWS::IAM::Role":                   len(groups) + 3 + 1 + 1,
		"AWS::Lambda::Function":            functions,
		"AWS::Logs::LogGroup":              functions + 1, // plus the state machine's
		"AWS::StepFunctions::StateMachine": 1,
		"AWS::DynamoDB::Table":             1,
		"AWS::Scheduler::Schedule":         1,
		"AWS::ApiGatewayV2::Api":           1,
		"AWS::CloudWatch::Alarm":           3,
		"AWS::Logs::MetricFilter":          1,
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
	for _, task := range provisionTasks(t) {
		spec, _ := stepSpec(task)
		specs = append(specs, spec)
	}
	specs = append(specs, pollerSpec, webhookSpec, operationsSpec)
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
	asl, err := os.ReadFile("../statemachines/provision.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	machines := resourcesOfType(r.json, "AWS::StepFunctions::StateMachine")
	if len(machines) != 1 {
		t.Fatalf("stack has %d state machines, want 1", len(machines))
	}
	var props map[string]any
	for _, p := range machines {
		props = p
	}

	if props["StateMachineType"] != "STANDARD" {
		t.Errorf("StateMachineType = %v, want STANDARD", props["StateMachineType"])
	}
	if _, ok := props["DefinitionS3Location"]; ok {
		t.Error("definition is an S3 asset, want it inline")
	}
	if props["DefinitionString"] != string(asl) {
		t.Error("DefinitionString differs from statemachines/provision.asl.json")
	}

	substitutions, _ := props["DefinitionSubstitutions"].(map[string]any)
	definition := string(asl)
	for _, match := range placeholderPattern.FindAllStringSubmatch(string(asl), -1) {
		task := match[1]
		functionID, _ := functionOf(t, r.json, task)
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
	for _, task := range []string{"proxy_vm", "verification"} {
		functionID, _ := functionOf(t, r.json, task)
		if !strings.Contains(definition, fakeFunctionARN(functionID)) {
			t.Errorf("substituted definition has no reference to %s", functionID)
		}
	}
	callback := parsed["States"].(map[string]any)["AwaitEndpoint"].(map[string]any)
	awaitID, _ := functionOf(t, r.json, "await_endpoint")
	if got := callback["Parameters"].(map[string]any)["FunctionName"]; got != fakeFunctionARN(awaitID) {
		t.Errorf("AwaitEndpoint FunctionName = %v, want the await_endpoint function", got)
	}
}

func TestStateMachineLogging(t *testing.T) {
	r := fullStack(t)
	check(t, "state machine logging", func() {
		r.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
			"StateMachineName": "repolink-provision",
			"LoggingConfiguration": map[string]any{
				"Level":                "ALL",
				"IncludeExecutionData": false,
			},
		})
	})
	check(t, "state machine log group", func() {
		r.template.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{
			"LogGroupName":    "/aws/vendedlogs/states/repolink-provision",
			"RetentionInDays": 30,
		})
	})
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
		if st.Effect != "Allow" {
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

	tests := []struct {
		role      string
		sid       string
		actions   []string
		resources []string
		condition any
	}{
		{"NetworkRole", "RunTaggedInstance", []string{"ec2:RunInstances"},
			[]string{arn("ec2", "instance/*")}, requestTag},
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
			[]string{"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"},
			[]string{"*"}, nil},
		{"NetworkRole", "CreateListener", []string{"elasticloadbalancing:CreateListener"}, []string{
			arn("elasticloadbalancing", "loadbalancer/net/rl-*/*"),
			arn("elasticloadbalancing", "listener/net/rl-*/*/*"),
		}, nil},
		{"WaitRole", "RegisterWait", []string{"dynamodb:PutItem"}, []string{"{WaitsTable.Arn}"}, nil},
		{"PollerRole", "ReadAndRemoveWaits", []string{"dynamodb:Query", "dynamodb:DeleteItem"},
			[]string{"{WaitsTable.Arn}"}, nil},
		{"WebhookRole", "RecordDeliveries", []string{"dynamodb:GetItem", "dynamodb:PutItem"},
			[]string{"{WaitsTable.Arn}"}, nil},
		{"WebhookRole", "StartProvision", []string{"states:StartExecution"},
			[]string{arn("states", "stateMachine:repolink-provision")}, nil},
		{"WebhookRole", "ReadWebhookKey", []string{"secretsmanager:GetSecretValue"},
			[]string{exampleWebhookARN}, nil},
		{"OperationsRole", "InspectAndRedriveRuns",
			[]string{"states:DescribeExecution", "states:GetExecutionHistory", "states:RedriveExecution"},
			[]string{arn("states", "execution:repolink-provision:*")}, nil},
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

func TestSecretReadsLimitedToReferencedARNs(t *testing.T) {
	r := fullStack(t)
	want := map[string][]string{
		"NetworkRole":   {exampleSecretARN, exampleSecretARN2},
		"SnowflakeRole": {exampleSecretARN, exampleSecretARN2},
		"PollerRole":    {exampleSecretARN, exampleSecretARN2},
		"WebhookRole":   {exampleWebhookARN},
	}
	if slices.Contains(provisionTasks(t), "preflight") {
		want["PreflightRole"] = []string{exampleSecretARN, exampleSecretARN2}
	}
	got := map[string][]string{}
	for _, st := range policyStatements(t, r.json) {
		if slices.Contains(st.Actions, "secretsmanager:GetSecretValue") {
			got[st.Role] = append(got[st.Role], st.Resources...)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetSecretValue resources by role mismatch (-want +got):\n%s", diff)
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
	r := synth(t, "teardown", cfg)

	check(t, "two state machines", func() {
		r.template.ResourceCountIs(jsii.String("AWS::StepFunctions::StateMachine"), jsii.Number(2))
	})
	check(t, "teardown output", func() {
		r.template.HasOutput(jsii.String("TeardownStateMachineArn"), map[string]any{})
	})
	statements := policyStatements(t, r.json)
	st, ok := findStatement(statements, "OperationsRole", "StartTeardown")
	if !ok {
		t.Fatal("operations role has no StartTeardown statement")
	}
	want := []string{"arn:aws:states:us-west-2:123456789012:stateMachine:repolink-teardown"}
	if diff := cmp.Diff(want, st.Resources); diff != "" {
		t.Errorf("StartTeardown resources mismatch (-want +got):\n%s", diff)
	}
	if _, ok := findStatement(statements, "WebhookRole", "ReadWebhookKey"); ok {
		t.Error("webhook role reads a secret although no webhook secret is configured")
	}

	if len(r.stack.Warnings) != 2 {
		t.Errorf("stack has %d warnings, want 2: %q", len(r.stack.Warnings), r.stack.Warnings)
	}
	annotations := assertions.Annotations_FromStack(r.stack.Stack)
	for _, message := range []string{"*placeholder*", "*webhookSecretArn is not set*"} {
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
