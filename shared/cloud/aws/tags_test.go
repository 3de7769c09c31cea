package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
)

func TestCreateTags(t *testing.T) {
	tests := []struct {
		name      string
		resource  string
		requestID string
		extra     map[string]string
		want      []tag
	}{
		{
			name: "no extra", resource: "proxy", requestID: "DATA-1",
			want: []tag{{"Name", "proxy"}, {cloud.TagRequest, "DATA-1"}},
		},
		{
			name: "extra sorted after fixed", resource: "proxy", requestID: "DATA-1",
			extra: map[string]string{"team": "data", cloud.TagExecution: "exec-1"},
			want:  []tag{{"Name", "proxy"}, {cloud.TagRequest, "DATA-1"}, {cloud.TagExecution, "exec-1"}, {"team", "data"}},
		},
		{
			name: "fixed keys win", resource: "proxy", requestID: "DATA-1",
			extra: map[string]string{"Name": "other", cloud.TagRequest: "DATA-2"},
			want:  []tag{{"Name", "proxy"}, {cloud.TagRequest, "DATA-1"}},
		},
		{
			name: "no name", requestID: "DATA-1",
			want: []tag{{cloud.TagRequest, "DATA-1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := createTags(tt.resource, tt.requestID, tt.extra)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(tag{})); diff != "" {
				t.Errorf("createTags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindReadsELBTags(t *testing.T) {
	const tagsBody = `<DescribeTagsResponse><DescribeTagsResult><TagDescriptions><member>
		<ResourceArn>%s</ResourceArn><Tags><member><Key>repolink:execution</Key><Value>exec-1</Value></member></Tags>
		</member></TagDescriptions></DescribeTagsResult></DescribeTagsResponse>`
	rec := newRecorder(t, map[string][]reply{
		"DescribeTargetGroups": {{body: `<R><DescribeTargetGroupsResult><TargetGroups><member>
			<TargetGroupArn>arn:tg</TargetGroupArn><TargetGroupName>repo-tg</TargetGroupName>
			</member></TargetGroups></DescribeTargetGroupsResult></R>`}},
		"DescribeLoadBalancers": {{body: `<R><DescribeLoadBalancersResult><LoadBalancers><member>
			<LoadBalancerArn>arn:lb</LoadBalancerArn><LoadBalancerName>repo-nlb</LoadBalancerName>
			</member></LoadBalancers></DescribeLoadBalancersResult></R>`}},
		"DescribeTags": {
			{body: strings.Replace(tagsBody, "%s", "arn:tg", 1)},
			{body: strings.Replace(tagsBody, "%s", "arn:lb", 1)},
		},
	})
	p := newTestProvider(t, rec.server.URL)
	ctx := context.Background()
	want := map[string]string{cloud.TagExecution: "exec-1"}

	tg, err := p.FindTargetGroup(ctx, "repo-tg")
	if err != nil || tg == nil {
		t.Fatalf("FindTargetGroup = %v, %v", tg, err)
	}
	if diff := cmp.Diff(want, tg.Tags); diff != "" {
		t.Errorf("target group tags (-want +got):\n%s", diff)
	}
	checkForm(t, rec.form("DescribeTags"), map[string]string{"ResourceArns.member.1": "arn:tg"})

	lb, err := p.FindLoadBalancer(ctx, "repo-nlb")
	if err != nil || lb == nil {
		t.Fatalf("FindLoadBalancer = %v, %v", lb, err)
	}
	if diff := cmp.Diff(want, lb.Tags); diff != "" {
		t.Errorf("load balancer tags (-want +got):\n%s", diff)
	}
	checkForm(t, rec.form("DescribeTags"), map[string]string{"ResourceArns.member.1": "arn:lb"})

	wantActions := []string{"DescribeTargetGroups", "DescribeTags", "DescribeLoadBalancers", "DescribeTags"}
	if diff := cmp.Diff(wantActions, rec.actions()); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
}

func TestFindDeletedBeforeTagsReturnsNil(t *testing.T) {
	rec := newRecorder(t, map[string][]reply{
		"DescribeTargetGroups": {{body: `<R><DescribeTargetGroupsResult><TargetGroups><member>
			<TargetGroupArn>arn:tg</TargetGroupArn></member></TargetGroups></DescribeTargetGroupsResult></R>`}},
		"DescribeTags": {{status: 400, body: strings.Replace(elbNotFound, "%s", "TargetGroupNotFound", 1)}},
	})
	p := newTestProvider(t, rec.server.URL)

	tg, err := p.FindTargetGroup(context.Background(), "repo-tg")
	if err != nil {
		t.Fatalf("FindTargetGroup: %v", err)
	}
	if tg != nil {
		t.Errorf("FindTargetGroup = %+v, want nil", tg)
	}
}

func TestSandboxExtraTagsRoundTrip(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())
	extra := map[string]string{cloud.TagExecution: "exec-1", "team": "data"}
	want := map[string]string{
		"Name": testRequest.name, cloud.TagRequest: testRequest.id,
		cloud.TagExecution: "exec-1", "team": "data",
	}

	inst, err := p.RunInstance(ctx, cloud.InstanceSpec{
		Name: testRequest.name, RequestID: testRequest.id, SubnetID: "subnet-01", InstanceType: "t3.micro",
		ImageID: "ami-0a1b2c3d4e5f60101", ClientToken: testRequest.id + "-proxy", Tags: extra,
	})
	if err != nil {
		t.Fatalf("RunInstance: %v", err)
	}
	if diff := cmp.Diff(want, inst.Tags); diff != "" {
		t.Errorf("RunInstance tags (-want +got):\n%s", diff)
	}
	found, err := p.FindInstance(ctx, testRequest.id, testRequest.name)
	if err != nil || found == nil {
		t.Fatalf("FindInstance = %v, %v", found, err)
	}
	if diff := cmp.Diff(want, found.Tags); diff != "" {
		t.Errorf("FindInstance tags (-want +got):\n%s", diff)
	}

	tg, err := p.CreateTargetGroup(ctx, cloud.TargetGroupSpec{
		Name: testRequest.name, RequestID: testRequest.id, VPCID: "vpc-0abc", Port: 443, Tags: extra,
	})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	if diff := cmp.Diff(want, tg.Tags); diff != "" {
		t.Errorf("CreateTargetGroup tags (-want +got):\n%s", diff)
	}
	foundTG, err := p.FindTargetGroup(ctx, testRequest.name)
	if err != nil || foundTG == nil {
		t.Fatalf("FindTargetGroup = %v, %v", foundTG, err)
	}
	if diff := cmp.Diff(want, foundTG.Tags); diff != "" {
		t.Errorf("FindTargetGroup tags (-want +got):\n%s", diff)
	}

	lb, err := p.CreateLoadBalancer(ctx, cloud.LoadBalancerSpec{
		Name: testRequest.name, RequestID: testRequest.id, SubnetIDs: []string{"subnet-01"}, Tags: extra,
	})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	if diff := cmp.Diff(want, lb.Tags); diff != "" {
		t.Errorf("CreateLoadBalancer tags (-want +got):\n%s", diff)
	}
	foundLB, err := p.FindLoadBalancer(ctx, testRequest.name)
	if err != nil || foundLB == nil {
		t.Fatalf("FindLoadBalancer = %v, %v", foundLB, err)
	}
	if diff := cmp.Diff(want, foundLB.Tags); diff != "" {
		t.Errorf("FindLoadBalancer tags (-want +got):\n%s", diff)
	}

	// cloud.EndpointService has no Tags field yet, so read the tag set that
	// the sandbox returns through the EC2 client itself.
	svc, err := p.CreateEndpointService(ctx, testRequest.id, lb.ARN, testRequest.id+"-service")
	if err != nil {
		t.Fatalf("CreateEndpointService: %v", err)
	}
	out, err := p.ec2.DescribeVpcEndpointServiceConfigurations(ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{
		ServiceIds: []string{svc.ID},
	})
	if err != nil {
		t.Fatalf("DescribeVpcEndpointServiceConfigurations: %v", err)
	}
	if len(out.ServiceConfigurations) != 1 {
		t.Fatalf("service configurations = %d, want 1", len(out.ServiceConfigurations))
	}
	wantServiceTags := map[string]string{cloud.TagRequest: testRequest.id}
	if diff := cmp.Diff(wantServiceTags, fromEC2Tags(out.ServiceConfigurations[0].Tags)); diff != "" {
		t.Errorf("endpoint service tags (-want +got):\n%s", diff)
	}
}
