package aws

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

func TestMain(m *testing.M) {
	// Keep the SDK away from the instance metadata address and from any
	// shared configuration on the machine.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("AWS_CONFIG_FILE", os.DevNull)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	os.Exit(m.Run())
}

// call is one request that the recording server received.
type call struct {
	action string
	form   url.Values
	header http.Header
}

// reply is a canned response for one action.
type reply struct {
	status int
	body   string
}

// recorder is an httptest server that records query-protocol requests and
// answers each action with canned replies, the last one repeating.
type recorder struct {
	t       *testing.T
	server  *httptest.Server
	mu      sync.Mutex
	calls   []call
	replies map[string][]reply
}

func newRecorder(t *testing.T, replies map[string][]reply) *recorder {
	t.Helper()
	r := &recorder{t: t, replies: replies}
	r.server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.server.Close)
	return r
}

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	action := form.Get("Action")

	r.mu.Lock()
	r.calls = append(r.calls, call{action: action, form: form, header: req.Header.Clone()})
	queue := r.replies[action]
	var next reply
	switch len(queue) {
	case 0:
		r.mu.Unlock()
		r.t.Errorf("unexpected action %q", action)
		http.Error(w, "unexpected action", http.StatusNotImplemented)
		return
	case 1:
		next = queue[0]
	default:
		next = queue[0]
		r.replies[action] = queue[1:]
	}
	r.mu.Unlock()

	w.Header().Set("x-amzn-RequestId", "req-test")
	if next.status != 0 {
		w.WriteHeader(next.status)
	}
	io.WriteString(w, next.body)
}

// actions returns the actions received, in order.
func (r *recorder) actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.calls {
		out = append(out, c.action)
	}
	return out
}

// form returns the form of the last call of action.
func (r *recorder) form(action string) url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.calls) - 1; i >= 0; i-- {
		if r.calls[i].action == action {
			return r.calls[i].form
		}
	}
	r.t.Fatalf("no %s call received", action)
	return nil
}

func testOptions(endpoint string) Options {
	return Options{
		Region:      "us-west-2",
		Endpoint:    endpoint,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "SECRETEXAMPLE", ""),
		MaxAttempts: 3,
		MaxBackoff:  time.Millisecond,
	}
}

func newTestProvider(t *testing.T, endpoint string) *Provider {
	t.Helper()
	p, err := New(context.Background(), testOptions(endpoint))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// checkForm reports each expected form parameter that differs.
func checkForm(t *testing.T, form url.Values, want map[string]string) {
	t.Helper()
	for key, value := range want {
		if got := form.Get(key); got != value {
			t.Errorf("form %s = %q, want %q", key, got, value)
		}
	}
}

const elbNotFound = `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>not found</Message></Error></ErrorResponse>`

func TestCreateTargetGroupForm(t *testing.T) {
	rec := newRecorder(t, map[string][]reply{
		"CreateTargetGroup": {{body: `<CreateTargetGroupResponse><CreateTargetGroupResult><TargetGroups><member>
			<TargetGroupArn>arn:tg</TargetGroupArn><TargetGroupName>repo-tg</TargetGroupName>
			<Protocol>TCP</Protocol><Port>443</Port><HealthCheckProtocol>TCP</HealthCheckProtocol>
			</member></TargetGroups></CreateTargetGroupResult></CreateTargetGroupResponse>`}},
	})
	p := newTestProvider(t, rec.server.URL)

	got, err := p.CreateTargetGroup(context.Background(), cloud.TargetGroupSpec{
		Name: "repo-tg", RequestID: "DATA-1", VPCID: "vpc-0abc", Port: 443,
	})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}

	want := cloud.TargetGroup{
		ARN: "arn:tg", Name: "repo-tg", Protocol: "TCP", Port: 443, HealthCheckProtocol: "TCP",
		Tags: map[string]string{"Name": "repo-tg", cloud.TagRequest: "DATA-1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("target group (-want +got):\n%s", diff)
	}
	checkForm(t, rec.form("CreateTargetGroup"), map[string]string{
		"Version":                    "2015-12-01",
		"Protocol":                   "TCP",
		"Port":                       "443",
		"VpcId":                      "vpc-0abc",
		"TargetType":                 "instance",
		"HealthCheckProtocol":        "TCP",
		"HealthCheckPort":            "traffic-port",
		"HealthCheckEnabled":         "true",
		"HealthCheckIntervalSeconds": "10",
		"HealthyThresholdCount":      "3",
		"UnhealthyThresholdCount":    "3",
		"Tags.member.2.Key":          "repolink:request",
		"Tags.member.2.Value":        "DATA-1",
	})
}

func TestCreateEndpointServiceForm(t *testing.T) {
	rec := newRecorder(t, map[string][]reply{
		"CreateVpcEndpointServiceConfiguration": {{body: `<R><serviceConfiguration><serviceId>vpce-svc-0abc</serviceId>
			<serviceName>com.amazonaws.vpce.us-west-2.vpce-svc-0abc</serviceName><serviceState>Available</serviceState>
			<acceptanceRequired>true</acceptanceRequired><networkLoadBalancerArnSet><item>arn:lb</item></networkLoadBalancerArnSet>
			</serviceConfiguration></R>`}},
	})
	p := newTestProvider(t, rec.server.URL)

	got, err := p.CreateEndpointService(context.Background(), "DATA-1", "arn:lb", "token-1")
	if err != nil {
		t.Fatalf("CreateEndpointService: %v", err)
	}

	want := cloud.EndpointService{
		ID: "vpce-svc-0abc", Name: "com.amazonaws.vpce.us-west-2.vpce-svc-0abc", State: "Available",
		AcceptanceRequired: true, LoadBalancerARNs: []string{"arn:lb"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("endpoint service (-want +got):\n%s", diff)
	}
	checkForm(t, rec.form("CreateVpcEndpointServiceConfiguration"), map[string]string{
		"Version":                         "2016-11-15",
		"AcceptanceRequired":              "true",
		"NetworkLoadBalancerArn.1":        "arn:lb",
		"ClientToken":                     "token-1",
		"TagSpecification.1.ResourceType": "vpc-endpoint-service",
		"TagSpecification.1.Tag.1.Key":    "repolink:request",
		"TagSpecification.1.Tag.1.Value":  "DATA-1",
	})
}

func TestRunInstanceForm(t *testing.T) {
	rec := newRecorder(t, map[string][]reply{
		"RunInstances": {{body: `<R><instancesSet><item><instanceId>i-0abc</instanceId>
			<instanceState><code>0</code><name>Pending</name></instanceState>
			<privateIpAddress>10.0.1.5</privateIpAddress><subnetId>subnet-01</subnetId></item></instancesSet></R>`}},
	})
	p := newTestProvider(t, rec.server.URL)

	got, err := p.RunInstance(context.Background(), cloud.InstanceSpec{
		Name: "repo-proxy", RequestID: "DATA-1", SubnetID: "subnet-01", InstanceType: "t3.micro",
		ImageID:  "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
		UserData: "#!/bin/sh\necho hi\n", ClientToken: "DATA-1-proxy",
	})
	if err != nil {
		t.Fatalf("RunInstance: %v", err)
	}

	want := cloud.Instance{ID: "i-0abc", State: "pending", PrivateIP: "10.0.1.5", SubnetID: "subnet-01"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instance (-want +got):\n%s", diff)
	}
	form := rec.form("RunInstances")
	checkForm(t, form, map[string]string{
		"ImageId":                         "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
		"UserData":                        "IyEvYmluL3NoCmVjaG8gaGkK",
		"ClientToken":                     "DATA-1-proxy",
		"MinCount":                        "1",
		"MaxCount":                        "1",
		"MetadataOptions.HttpTokens":      "required",
		"TagSpecification.1.ResourceType": "instance",
		"TagSpecification.1.Tag.1.Key":    "Name",
		"TagSpecification.1.Tag.1.Value":  "repo-proxy",
		"TagSpecification.1.Tag.2.Key":    "repolink:request",
		"TagSpecification.1.Tag.2.Value":  "DATA-1",
	})
	if form.Has("SecurityGroupId.1") {
		t.Errorf("form has SecurityGroupId.1 = %q, want none", form.Get("SecurityGroupId.1"))
	}
}

func TestAddAllowedPrincipalMerges(t *testing.T) {
	tests := []struct {
		name        string
		existing    string
		wantActions []string
	}{
		{
			name:        "other principal kept",
			existing:    `<item><principal>arn:aws:iam::111122223333:root</principal></item>`,
			wantActions: []string{"DescribeVpcEndpointServicePermissions", "ModifyVpcEndpointServicePermissions"},
		},
		{
			name:        "already allowed",
			existing:    `<item><principal>arn:aws:iam::444455556666:root</principal></item>`,
			wantActions: []string{"DescribeVpcEndpointServicePermissions"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, map[string][]reply{
				"DescribeVpcEndpointServicePermissions": {{body: `<R><allowedPrincipals>` + tt.existing + `</allowedPrincipals></R>`}},
				"ModifyVpcEndpointServicePermissions":   {{body: `<R><return>true</return></R>`}},
			})
			p := newTestProvider(t, rec.server.URL)

			err := p.AddAllowedPrincipal(context.Background(), "vpce-svc-0abc", "arn:aws:iam::444455556666:root")
			if err != nil {
				t.Fatalf("AddAllowedPrincipal: %v", err)
			}

			if diff := cmp.Diff(tt.wantActions, rec.actions()); diff != "" {
				t.Fatalf("actions (-want +got):\n%s", diff)
			}
			if len(tt.wantActions) < 2 {
				return
			}
			form := rec.form("ModifyVpcEndpointServicePermissions")
			checkForm(t, form, map[string]string{
				"ServiceId":              "vpce-svc-0abc",
				"AddAllowedPrincipals.1": "arn:aws:iam::444455556666:root",
			})
			for key := range form {
				if strings.HasPrefix(key, "Remove") {
					t.Errorf("form has %s, want no removal", key)
				}
			}
		})
	}
}

func TestFindNotFoundReturnsNil(t *testing.T) {
	rec := newRecorder(t, map[string][]reply{
		"DescribeTargetGroups":                     {{status: 400, body: strings.Replace(elbNotFound, "%s", "TargetGroupNotFound", 1)}},
		"DescribeLoadBalancers":                    {{status: 400, body: strings.Replace(elbNotFound, "%s", "LoadBalancerNotFound", 1)}},
		"DescribeListeners":                        {{status: 400, body: strings.Replace(elbNotFound, "%s", "LoadBalancerNotFound", 1)}},
		"DescribeInstances":                        {{body: `<R><reservationSet/></R>`}},
		"DescribeVpcEndpointServiceConfigurations": {{body: `<R><serviceConfigurationSet/></R>`}},
	})
	p := newTestProvider(t, rec.server.URL)
	ctx := context.Background()

	tg, err := p.FindTargetGroup(ctx, "repo-tg")
	if err != nil || tg != nil {
		t.Errorf("FindTargetGroup = %v, %v; want nil, nil", tg, err)
	}
	lb, err := p.FindLoadBalancer(ctx, "repo-nlb")
	if err != nil || lb != nil {
		t.Errorf("FindLoadBalancer = %v, %v; want nil, nil", lb, err)
	}
	listener, err := p.FindListener(ctx, "arn:lb", 443)
	if err != nil || listener != nil {
		t.Errorf("FindListener = %v, %v; want nil, nil", listener, err)
	}
	inst, err := p.FindInstance(ctx, "DATA-1", "repo-proxy")
	if err != nil || inst != nil {
		t.Errorf("FindInstance = %v, %v; want nil, nil", inst, err)
	}
	svc, err := p.FindEndpointService(ctx, "DATA-1")
	if err != nil || svc != nil {
		t.Errorf("FindEndpointService = %v, %v; want nil, nil", svc, err)
	}

	checkForm(t, rec.form("DescribeInstances"), map[string]string{
		"Filter.1.Name":    "tag:repolink:request",
		"Filter.1.Value.1": "DATA-1",
		"Filter.2.Name":    "tag:Name",
		"Filter.2.Value.1": "repo-proxy",
		"Filter.3.Name":    "instance-state-name",
		"Filter.3.Value.1": "pending",
		"Filter.3.Value.4": "stopped",
	})
	checkForm(t, rec.form("DescribeVpcEndpointServiceConfigurations"), map[string]string{
		"Filter.1.Name":    "tag:repolink:request",
		"Filter.1.Value.1": "DATA-1",
	})
}

func TestFindInstancePrefersRunning(t *testing.T) {
	rec := newRecorder(t, map[string][]reply{
		"DescribeInstances": {
			{body: `<R><reservationSet><item><instancesSet>
				<item><instanceId>i-stopped</instanceId><instanceState><name>Stopped</name></instanceState></item>
				</instancesSet></item></reservationSet><nextToken>page2</nextToken></R>`},
			{body: `<R><reservationSet><item><instancesSet>
				<item><instanceId>i-running</instanceId><instanceState><name>RUNNING</name></instanceState></item>
				</instancesSet></item></reservationSet></R>`},
		},
	})
	p := newTestProvider(t, rec.server.URL)

	got, err := p.FindInstance(context.Background(), "DATA-1", "repo-proxy")
	if err != nil {
		t.Fatalf("FindInstance: %v", err)
	}

	want := &cloud.Instance{ID: "i-running", State: "running"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instance (-want +got):\n%s", diff)
	}
	if got := rec.form("DescribeInstances").Get("NextToken"); got != "page2" {
		t.Errorf("second page NextToken = %q, want page2", got)
	}
}

func TestErrorClassification(t *testing.T) {
	ec2Error := func(code string) string {
		return `<Response><Errors><Error><Code>` + code + `</Code><Message>boom</Message></Error></Errors><RequestID>r</RequestID></Response>`
	}
	tests := []struct {
		name         string
		reply        reply
		wantName     string
		wantAttempts int
	}{
		{"throttled", reply{503, ec2Error("RequestLimitExceeded")}, workflow.ErrThrottled, 3},
		{"server error", reply{500, ec2Error("InternalError")}, workflow.ErrTransient, 3},
		{"invalid parameter", reply{400, ec2Error("InvalidParameterValue")}, workflow.ErrInvalidRequest, 1},
		{"unknown service id", reply{400, ec2Error("InvalidVpcEndpointServiceId.NotFound")}, workflow.ErrNotReady, 1},
		{"unknown subnet", reply{400, ec2Error("InvalidSubnetID.NotFound")}, workflow.ErrInvalidRequest, 1},
		{"access denied", reply{403, ec2Error("UnauthorizedOperation")}, workflow.ErrPermissionDenied, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, map[string][]reply{"DescribeVpcEndpointServicePermissions": {tt.reply}})
			p := newTestProvider(t, rec.server.URL)

			_, err := p.AllowedPrincipals(context.Background(), "vpce-svc-0abc")
			if err == nil {
				t.Fatal("AllowedPrincipals succeeded, want an error")
			}

			if got := workflow.NameOf(err); got != tt.wantName {
				t.Errorf("error name = %q, want %q (error: %v)", got, tt.wantName, err)
			}
			var named *workflow.Error
			if !errors.As(err, &named) {
				t.Errorf("errors.As(*workflow.Error) = false for %v", err)
			}
			if !strings.HasPrefix(err.Error(), "aws: ") || !strings.Contains(err.Error(), "us-west-2") {
				t.Errorf("error %q lacks the aws: prefix or the region", err)
			}
			if got := len(rec.actions()); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
		})
	}
}

func TestConnectionRefusedIsTransient(t *testing.T) {
	server := httptest.NewServer(http.NotFoundHandler())
	endpoint := server.URL
	server.Close()
	p := newTestProvider(t, endpoint)

	_, err := p.TargetHealth(context.Background(), "arn:tg")
	if got := workflow.NameOf(err); got != workflow.ErrTransient {
		t.Errorf("error name = %q, want %q (error: %v)", got, workflow.ErrTransient, err)
	}
}

func TestAcceptEndpointConnectionUnsuccessful(t *testing.T) {
	unsuccessful := `<R><unsuccessful><item><error><code>InvalidState</code><message>bad state</message></error>
		<resourceId>vpce-0def</resourceId></item></unsuccessful></R>`
	connection := func(state string) string {
		return `<R><vpcEndpointConnectionSet><item><vpcEndpointId>vpce-0def</vpcEndpointId>
			<vpcEndpointState>` + state + `</vpcEndpointState></item></vpcEndpointConnectionSet></R>`
	}
	tests := []struct {
		name     string
		accept   string
		describe string
		wantName string
	}{
		{"accepted", `<R><unsuccessful/></R>`, connection("pendingAcceptance"), ""},
		{"already available", unsuccessful, connection("available"), ""},
		{"rejected", unsuccessful, connection("rejected"), workflow.ErrRejected},
		{"not visible yet", unsuccessful, `<R><vpcEndpointConnectionSet/></R>`, workflow.ErrNotReady},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, map[string][]reply{
				"AcceptVpcEndpointConnections":   {{body: tt.accept}},
				"DescribeVpcEndpointConnections": {{body: tt.describe}},
			})
			p := newTestProvider(t, rec.server.URL)

			err := p.AcceptEndpointConnection(context.Background(), "vpce-svc-0abc", "vpce-0def")
			if got := workflow.NameOf(err); got != tt.wantName {
				t.Errorf("error name = %q, want %q (error: %v)", got, tt.wantName, err)
			}
			if tt.wantName == "" && err != nil {
				t.Errorf("AcceptEndpointConnection: %v", err)
			}
			checkForm(t, rec.form("AcceptVpcEndpointConnections"), map[string]string{
				"ServiceId":       "vpce-svc-0abc",
				"VpcEndpointId.1": "vpce-0def",
			})
		})
	}
}

func TestNewRequiresRegion(t *testing.T) {
	opts := testOptions("http://127.0.0.1:1")
	opts.Region = ""
	if _, err := New(context.Background(), opts); err == nil {
		t.Error("New without a region succeeded, want an error")
	}
}

func TestParseSecretRef(t *testing.T) {
	tests := []struct {
		ref     string
		wantID  string
		wantKey string
		wantErr bool
	}{
		{ref: "aws-secretsmanager:sf-key", wantID: "sf-key"},
		{ref: "aws-secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-key-AbCdEf#pem",
			wantID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-key-AbCdEf", wantKey: "pem"},
		{ref: "env:SF_KEY", wantErr: true},
		{ref: "aws-secretsmanager:", wantErr: true},
		{ref: "aws-secretsmanager:name#", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			id, key, err := parseSecretRef(tt.ref)
			if tt.wantErr {
				if workflow.NameOf(err) != workflow.ErrInvalidRequest {
					t.Errorf("parseSecretRef error = %v, want an InvalidRequest error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseSecretRef: %v", err)
			}
			if id != tt.wantID || key != tt.wantKey {
				t.Errorf("parseSecretRef = %q, %q; want %q, %q", id, key, tt.wantID, tt.wantKey)
			}
		})
	}
}
