package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// tagKey is the tag that every cloud resource of a request carries. The
// network adapter sets it on create, with the request ID as value.
const tagKey = "repolink:request"

// arnScope builds ARNs in the stack's partition, region and account. The
// fields are CloudFormation tokens when the stack is environment-agnostic.
type arnScope struct {
	partition string
	region    string
	account   string
}

func (s arnScope) arn(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", s.partition, service, s.region, s.account, resource)
}

// stateMachine returns the ARN of the state machine called name.
func (s arnScope) stateMachine(name string) string {
	return s.arn("states", "stateMachine:"+name)
}

// executions returns the ARN pattern of every execution of the state machine
// called name.
func (s arnScope) executions(name string) string {
	return s.arn("states", "execution:"+name+":*")
}

func statement(sid string, actions, resources []string, conditions map[string]any) awsiam.PolicyStatement {
	props := &awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings(actions...),
		Resources: jsii.Strings(resources...),
	}
	if conditions != nil {
		props.Conditions = &conditions
	}
	return awsiam.NewPolicyStatement(props)
}

// requestTagged requires the create call to tag the new resource with the
// request ID.
func requestTagged() map[string]any {
	return map[string]any{"StringLike": map[string]any{"aws:RequestTag/" + tagKey: "?*"}}
}

// resourceTagged requires the resource to carry the request tag already, so
// the role can change only what repolink created.
func resourceTagged() map[string]any {
	return map[string]any{"StringLike": map[string]any{"aws:ResourceTag/" + tagKey: "?*"}}
}

// networkStatements covers the calls of the AWS network adapter: EC2 for the
// proxy VM and the endpoint service, Elastic Load Balancing for the target
// group, load balancer and listener. The Describe calls support no
// resource-level permissions, so they alone use the resource "*".
func networkStatements(s arnScope) []awsiam.PolicyStatement {
	instances := s.arn("ec2", "instance/*")
	endpointServices := s.arn("ec2", "vpc-endpoint-service/*")
	// Target group and load balancer names start with "rl-", as
	// workflow.NamesFor in the main module derives them.
	targetGroups := s.arn("elasticloadbalancing", "targetgroup/rl-*/*")
	loadBalancers := s.arn("elasticloadbalancing", "loadbalancer/net/rl-*/*")
	listeners := s.arn("elasticloadbalancing", "listener/net/rl-*/*/*")

	return []awsiam.PolicyStatement{
		zoneLookupStatement(),
		launchLookupStatement(),
		statement("DescribeNetwork", []string{
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
			// FindLoadBalancer reads the request tag of a load balancer.
			"elasticloadbalancing:DescribeTags",
		}, []string{"*"}, nil),

		// RunInstances authorizes every resource it touches. Only the
		// instance is tagged on create, so only it carries the condition.
		statement("RunTaggedInstance", []string{"ec2:RunInstances"},
			[]string{instances}, requestTagged()),
		statement("RunInstanceResources", []string{"ec2:RunInstances"}, []string{
			s.arn("ec2", "subnet/*"),
			s.arn("ec2", "network-interface/*"),
			s.arn("ec2", "security-group/*"),
			s.arn("ec2", "volume/*"),
			fmt.Sprintf("arn:%s:ec2:%s::image/*", s.partition, s.region),
		}, nil),
		imageParameterStatement(s),
		statement("CreateEndpointService", []string{"ec2:CreateVpcEndpointServiceConfiguration"},
			[]string{endpointServices}, requestTagged()),
		statement("TagOnCreateEC2", []string{"ec2:CreateTags"}, []string{instances, endpointServices},
			map[string]any{"StringEquals": map[string]any{
				"ec2:CreateAction": []string{"RunInstances", "CreateVpcEndpointServiceConfiguration"},
			}}),
		statement("ManageEndpointService", []string{
			"ec2:ModifyVpcEndpointServicePermissions",
			"ec2:AcceptVpcEndpointConnections",
		}, []string{endpointServices}, resourceTagged()),

		statement("CreateLoadBalancing", []string{
			"elasticloadbalancing:CreateTargetGroup",
			"elasticloadbalancing:CreateLoadBalancer",
		}, []string{targetGroups, loadBalancers}, requestTagged()),
		statement("TagOnCreateLoadBalancing", []string{"elasticloadbalancing:AddTags"},
			[]string{targetGroups, loadBalancers},
			map[string]any{"StringEquals": map[string]any{
				"elasticloadbalancing:CreateAction": []string{"CreateTargetGroup", "CreateLoadBalancer"},
			}}),
		statement("ManageLoadBalancing", []string{
			"elasticloadbalancing:RegisterTargets",
			"elasticloadbalancing:DeregisterTargets",
			"elasticloadbalancing:ModifyLoadBalancerAttributes",
			// SetSubnets adds the request's subnets in zones that an
			// existing load balancer lacks.
			"elasticloadbalancing:SetSubnets",
		}, []string{targetGroups, loadBalancers}, resourceTagged()),
		// The target group step records the target it registered in the
		// repolink:target tag, so that a later run can deregister it. The
		// role may set only that tag, on groups that repolink created.
		statement("RecordTarget", []string{"elasticloadbalancing:AddTags"}, []string{targetGroups},
			map[string]any{
				"StringLike":                resourceTagged()["StringLike"],
				"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": []string{"repolink:target"}},
			}),
		// CreateListener also authorizes the new listener, which carries no
		// tag, so this statement is scoped by name alone.
		statement("CreateListener", []string{"elasticloadbalancing:CreateListener"},
			[]string{loadBalancers, listeners}, nil),
		// The first load balancer in an account creates the Elastic Load
		// Balancing service-linked role.
		statement("CreateLoadBalancingServiceRole", []string{"iam:CreateServiceLinkedRole"}, []string{
			fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing", s.partition, s.account),
		}, map[string]any{"StringEquals": map[string]any{"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}),
	}
}

// teardownStatements covers the delete calls of the AWS network adapter.
// Each one is allowed only on resources that carry the request tag, except
// DeleteListener: listeners are created without tags, so it is scoped by
// the load balancer name.
func teardownStatements(s arnScope) []awsiam.PolicyStatement {
	instances := s.arn("ec2", "instance/*")
	endpointServices := s.arn("ec2", "vpc-endpoint-service/*")
	targetGroups := s.arn("elasticloadbalancing", "targetgroup/rl-*/*")
	loadBalancers := s.arn("elasticloadbalancing", "loadbalancer/net/rl-*/*")
	listeners := s.arn("elasticloadbalancing", "listener/net/rl-*/*/*")

	return []awsiam.PolicyStatement{
		statement("DescribeNetwork", []string{
			"ec2:DescribeInstances",
			"ec2:DescribeVpcEndpointServiceConfigurations",
			"ec2:DescribeVpcEndpointConnections",
			"elasticloadbalancing:DescribeTargetGroups",
			"elasticloadbalancing:DescribeLoadBalancers",
			"elasticloadbalancing:DescribeListeners",
			"elasticloadbalancing:DescribeTags",
		}, []string{"*"}, nil),
		statement("TerminateTaggedInstances", []string{"ec2:TerminateInstances"},
			[]string{instances}, resourceTagged()),
		statement("DeleteTaggedEndpointServices", []string{
			"ec2:RejectVpcEndpointConnections",
			"ec2:DeleteVpcEndpointServiceConfigurations",
		}, []string{endpointServices}, resourceTagged()),
		statement("DeleteTaggedLoadBalancing", []string{
			"elasticloadbalancing:DeleteLoadBalancer",
			"elasticloadbalancing:DeleteTargetGroup",
		}, []string{targetGroups, loadBalancers}, resourceTagged()),
		statement("DeleteListeners", []string{"elasticloadbalancing:DeleteListener"},
			[]string{listeners}, nil),
	}
}

// firewallStatements covers the security group calls of the AWS firewall
// adapter. New rules must carry the request tag. The security group itself
// belongs to the customer and carries no request tag, so the group
// resources are the groups in securityGroupIDs, or every group in the
// region and account when the list is empty and anyGroup is set. With
// neither, the functions may only read rules.
func firewallStatements(s arnScope, securityGroupIDs []string, anyGroup bool) []awsiam.PolicyStatement {
	describe := statement("DescribeRules", []string{"ec2:DescribeSecurityGroupRules"}, []string{"*"}, nil)
	if len(securityGroupIDs) == 0 && !anyGroup {
		return []awsiam.PolicyStatement{describe}
	}
	rules := s.arn("ec2", "security-group-rule/*")
	groups := []string{s.arn("ec2", "security-group/*")}
	if len(securityGroupIDs) > 0 {
		groups = groups[:0]
		for _, id := range securityGroupIDs {
			groups = append(groups, s.arn("ec2", "security-group/"+id))
		}
	}

	return []awsiam.PolicyStatement{
		describe,
		statement("AuthorizeTaggedRules", []string{"ec2:AuthorizeSecurityGroupIngress"},
			[]string{rules}, requestTagged()),
		// RevokeSecurityGroupIngress names the rules by ID, but IAM
		// authorizes it on the group, so the rules' own tags cannot limit
		// it. The adapter revokes only rules it found tagged with the
		// request or described with the request's name.
		statement("ChangeGroupRules", []string{
			"ec2:AuthorizeSecurityGroupIngress",
			"ec2:RevokeSecurityGroupIngress",
		}, groups, nil),
		// A request that hands a shared rule over to a request that adopted
		// it rewrites the rule's description to name the new owner.
		// NOTE: the resource types that IAM checks for this action were not
		// confirmed against the EC2 service authorization reference, so the
		// statement allows both the groups and their rules.
		statement("DescribeRulesOwner", []string{"ec2:UpdateSecurityGroupRuleDescriptionsIngress"},
			append(slices.Clone(groups), rules), nil),
		statement("TagRulesOnCreate", []string{"ec2:CreateTags"}, []string{rules},
			map[string]any{"StringEquals": map[string]any{
				"ec2:CreateAction": "AuthorizeSecurityGroupIngress",
			}}),
		// A request adopts a rule that another request or an administrator
		// made by tagging it, and lets go of a shared rule by removing its
		// tag or handing the request tag to the next adopter. An owner marks
		// a rule with the releasing tag before it decides to revoke it. Only
		// those tag keys may change.
		statement("ShareRules", []string{"ec2:CreateTags", "ec2:DeleteTags"}, []string{rules},
			map[string]any{"ForAllValues:StringLike": map[string]any{
				"aws:TagKeys": []string{"repolink:request", "repolink:adopted-by:*", "repolink:releasing"},
			}}),
	}
}

// endpointLookupStatements lets teardown_endpoint find the request's
// endpoint service before it deprovisions Snowflake's endpoint, and
// preflight find it when it counts the account's endpoints.
func endpointLookupStatements() []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		statement("DescribeEndpointServices", []string{"ec2:DescribeVpcEndpointServiceConfigurations"},
			[]string{"*"}, nil),
	}
}

// zoneLookupStatement lets preflight and the load balancer step check that
// the request's subnets cover every availability zone of the region. The
// calls support no resource-level permissions.
func zoneLookupStatement() awsiam.PolicyStatement {
	return statement("DescribeZones", []string{"ec2:DescribeAvailabilityZones", "ec2:DescribeSubnets"},
		[]string{"*"}, nil)
}

// imageParameterStatement lets preflight and the proxy_vm step read the
// image ID of an aws.image_id of the form resolve:ssm:<path>, to check its
// architecture, and lets EC2 resolve it at launch with the caller's rights.
// The request check in the main module (request.PublicImageParameterPrefix)
// accepts only the AWS public parameters under /aws/service/, such as the
// default Amazon Linux ones, so the grant covers exactly those.
func imageParameterStatement(s arnScope) awsiam.PolicyStatement {
	return statement("ResolveImageParameter", []string{"ssm:GetParameters"}, []string{
		fmt.Sprintf("arn:%s:ssm:%s::parameter/aws/service/*", s.partition, s.region),
	}, nil)
}

// launchLookupStatement lets preflight and the network steps read the VPC's
// CIDR blocks, which decide the zone of an IP target, and the instance
// type, image and security groups that RunInstances would reject. EC2's
// Describe calls support no resource-level permissions.
func launchLookupStatement() awsiam.PolicyStatement {
	return statement("DescribeLaunchInputs", []string{
		"ec2:DescribeVpcs", "ec2:DescribeInstanceTypes", "ec2:DescribeImages", "ec2:DescribeSecurityGroups",
	}, []string{"*"}, nil)
}

// secretStatements allows reading exactly the listed secrets, and decrypting
// them with keyARN through Secrets Manager when a customer-managed key is in
// use. It returns nothing when arns is empty.
func secretStatements(s arnScope, sid string, arns []string, keyARN string) []awsiam.PolicyStatement {
	if len(arns) == 0 {
		return nil
	}
	statements := []awsiam.PolicyStatement{
		statement(sid, []string{"secretsmanager:GetSecretValue"}, arns, nil),
	}
	if keyARN != "" {
		statements = append(statements, statement(sid+"Key", []string{"kms:Decrypt"}, []string{keyARN},
			map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": fmt.Sprintf("secretsmanager.%s.amazonaws.com", s.region),
			}}))
	}
	return statements
}

// denySecretStatements denies reading the listed secrets, whatever another
// statement of the role allows. It returns nothing when arns is empty.
func denySecretStatements(sid string, arns []string) []awsiam.PolicyStatement {
	if len(arns) == 0 {
		return nil
	}
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(sid),
			Effect:    awsiam.Effect_DENY,
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: jsii.Strings(arns...),
		}),
	}
}

// reservationsPartitionPrefix starts the partition key of every endpoint
// reservations item in the table, as the dynamo package in the main module
// writes it.
const reservationsPartitionPrefix = "endpoints#"

// reservationStatements lets preflight and the endpoint step reserve a
// place among a Snowflake account's private endpoints, and
// teardown_endpoint release it. dynamodb:LeadingKeys limits the calls to
// the reservations items, so these roles cannot read or change waits or
// tickets.
func reservationStatements(tableARN string) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		statement("ReserveEndpoints", []string{
			"dynamodb:GetItem",
			"dynamodb:PutItem",
			"dynamodb:UpdateItem",
		}, []string{tableARN}, partitionsStartingWith(reservationsPartitionPrefix)),
	}
}

// waitPartition is the partition key of every wait item in the table, as
// the dynamo package in the main module writes it.
const waitPartition = "wait"

// waitStatements lets await_endpoint register a wait. dynamodb:LeadingKeys
// limits the call to the wait partition, so the role cannot overwrite
// tickets, claims or run items.
func waitStatements(tableARN string) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		statement("RegisterWait", []string{"dynamodb:PutItem"}, []string{tableARN}, partitionIs(waitPartition)),
	}
}

// pollerStatements lets the poller read and remove waits and complete task
// tokens with success or failure. The poller sends no heartbeats.
func pollerStatements(tableARN string) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		// The waits store lists the open waits with one Query on their
		// partition and removes each completed one by key.
		// dynamodb:LeadingKeys limits both calls to that partition, so the
		// poller cannot delete claims, run items or other records.
		statement("ReadAndRemoveWaits", []string{
			"dynamodb:Query",
			"dynamodb:DeleteItem",
		}, []string{tableARN}, partitionIs(waitPartition)),
		// These actions name no resource beyond the task token. The IAM
		// console accepts only "*" for them, and grants scoped to a state
		// machine ARN have been reported to fail with AccessDenied
		// (github.com/aws/aws-cdk/discussions/26401).
		statement("CompleteTaskTokens", []string{
			"states:SendTaskSuccess",
			"states:SendTaskFailure",
		}, []string{"*"}, nil),
	}
}

// webhookStatements lets the webhook record deliveries, claim the names
// that a request takes in its Snowflake account, and start provision runs.
// It also lets the webhook describe the runs of a ticket and of the
// requests that hold the names, to find whether an earlier run still runs
// or may have built resources before it starts one. With a teardown
// machine, it also lets the webhook list and describe the teardowns, to
// find whether a teardown of the request runs or has run. teardownMachine
// is "" when the stack has no teardown machine.
func webhookStatements(s arnScope, tableARN, provisionMachine, teardownMachine string) []awsiam.PolicyStatement {
	statements := []awsiam.PolicyStatement{
		// A delivery claims a ticket with PutItem and records its run and
		// a replaced claim with UpdateItem.
		statement("RecordDeliveries", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
			[]string{tableARN}, partitionsStartingWith(ticketPartitionPrefix)),
		// The webhook only reads the request's run item, which names a
		// running teardown, and the teardown record start, which is keyed
		// under "run#" too. The steps and the notifier write them.
		statement("ReadRunItems", []string{"dynamodb:GetItem"},
			[]string{tableARN}, partitionsStartingWith(runPartitionPrefix)),
		// A delivery takes the request's Snowflake object names and index
		// host with conditional PutItem calls, marks them started with
		// UpdateItem, and deletes those it took when another request
		// holds one of the others.
		statement("ClaimSnowflakeNames", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"},
			[]string{tableARN}, partitionsStartingWith(claimPartitionPrefix)),
		statement("StartProvision", []string{"states:StartExecution"},
			[]string{s.stateMachine(provisionMachine)}, nil),
		// GetExecutionHistory reads whether a failed run built resources
		// before a request that changes its route is accepted.
		statement("DescribeProvisionRuns", []string{"states:DescribeExecution", "states:GetExecutionHistory"},
			[]string{s.executions(provisionMachine)}, nil),
	}
	if teardownMachine != "" {
		statements = append(statements,
			statement("ListTeardowns", []string{"states:ListExecutions"},
				[]string{s.stateMachine(teardownMachine)}, nil),
			statement("DescribeTeardowns", []string{"states:DescribeExecution"},
				[]string{s.executions(teardownMachine)}, nil))
	}
	return statements
}

// partitionsStartingWith returns the condition that limits a statement's
// item calls to the partition keys that start with one of prefixes.
func partitionsStartingWith(prefixes ...string) map[string]any {
	patterns := make([]string, len(prefixes))
	for i, prefix := range prefixes {
		patterns[i] = prefix + "*"
	}
	var keys any = patterns
	if len(patterns) == 1 {
		keys = patterns[0]
	}
	return map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": keys}}
}

// partitionIs returns the condition that limits a statement's item calls
// to the partition key partition.
func partitionIs(partition string) map[string]any {
	return map[string]any{"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": partition}}
}

// runPartitionPrefix starts the partition key of every run item in the
// table, as the dynamo package in the main module writes it.
const runPartitionPrefix = "run#"

// ticketPartitionPrefix starts the partition key of every ticket item in
// the table, as the dynamo package in the main module writes it.
const ticketPartitionPrefix = "ticket#"

// claimPartitionPrefix starts the partition key of every claim item in the
// table, which holds a Snowflake object name or index host for one request
// ID, as the dynamo package in the main module writes it.
const claimPartitionPrefix = "claim#"

// exclusionStatements let a step read the running executions of the
// provision and teardown machines and their inputs, and take its request's
// run item in the table, for the check that fails an execution while
// another one of its request runs. dynamodb:LeadingKeys limits the item
// calls to run items. teardownMachine is "" when the stack has no teardown
// machine.
func exclusionStatements(s arnScope, tableARN, provisionMachine, teardownMachine string) []awsiam.PolicyStatement {
	machines := []string{s.stateMachine(provisionMachine)}
	executions := []string{s.executions(provisionMachine)}
	if teardownMachine != "" {
		machines = append(machines, s.stateMachine(teardownMachine))
		executions = append(executions, s.executions(teardownMachine))
	}
	return []awsiam.PolicyStatement{
		statement("ListRunsOfRequest", []string{"states:ListExecutions"}, machines, nil),
		statement("DescribeRunsOfRequest", []string{"states:DescribeExecution"}, executions, nil),
		statement("HoldRunOfRequest", []string{"dynamodb:GetItem", "dynamodb:PutItem"}, []string{tableARN},
			partitionsStartingWith(runPartitionPrefix)),
	}
}

// operationsStatements lets the read-only operations API list and inspect
// the runs of the provision machine and of the teardown machine.
// teardownMachine is "" when the stack has no teardown machine.
func operationsStatements(s arnScope, provisionMachine, teardownMachine string) []awsiam.PolicyStatement {
	machines := []string{s.stateMachine(provisionMachine)}
	executions := []string{s.executions(provisionMachine)}
	if teardownMachine != "" {
		machines = append(machines, s.stateMachine(teardownMachine))
		executions = append(executions, s.executions(teardownMachine))
	}
	return []awsiam.PolicyStatement{
		statement("ListRuns", []string{"states:ListExecutions"}, machines, nil),
		statement("InspectRuns", []string{
			"states:DescribeExecution",
			"states:GetExecutionHistory",
		}, executions, nil),
	}
}

// Partition keys of the credential items in the table, as the dynamo
// package in the main module writes them. The expiry records and the
// notifier's claims on expiry notifications each have their own partition.
// So the roles that record and renew expiries cannot forge or drop a
// notice claim, and the notifier, which holds the webhook signing key,
// cannot change an expiry record.
const (
	credentialExpiryPartition = "credential#expiries"
	credentialNoticePartition = "credential#notices"
)

// credentialExpiryStatements lets a role call actions on the credential
// expiry items: the secret step records a token's expiry, the poller stores
// the renewed one, and teardown_snowflake deletes it. dynamodb:LeadingKeys
// limits the calls to the expiry partition.
func credentialExpiryStatements(sid, tableARN string, actions ...string) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		statement(sid, actions, []string{tableARN}, partitionIs(credentialExpiryPartition)),
	}
}

// defaultPartition is the partition key of the default repository records
// in the table, as the dynamo package in the main module writes them.
const defaultPartition = "default#levels"

// defaultRecordStatements returns the statements that let the Snowflake
// steps keep the records of the levels on which runs set the default
// repository parameter, and the claims on those levels. The default step
// records a level and lists and deletes the records of levels that it
// unsets, and teardown_snowflake lists and deletes them. Both read a
// level's claim with GetItem and write it with a conditional PutItem or
// DeleteItem. dynamodb:LeadingKeys limits the calls to the partition of
// the records.
func defaultRecordStatements(tableARN string) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		statement("RecordDefaultRepositoryLevels", []string{"dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"},
			[]string{tableARN}, partitionIs(defaultPartition)),
	}
}

// defaultRecordReadStatements returns the statement that lets preflight
// list the default repository records, so that it can reject a request
// whose default_for names a level that another request's run set.
func defaultRecordReadStatements(tableARN string) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		statement("ReadDefaultRepositoryLevels", []string{"dynamodb:Query"}, []string{tableARN}, partitionIs(defaultPartition)),
	}
}

// codeArtifactStatements lets preflight, the secret step and the poller get
// CodeArtifact authorization tokens for requests of auth type codeartifact,
// and lets those tokens read packages. A token carries the permissions of
// the principal that got it, so pip can download only from repositories on
// which the role has codeartifact:ReadFromRepository. The statements cover
// domainARNs and their repositories, every domain when anyDomain is set and
// domainARNs is empty, and nothing otherwise. GetAuthorizationToken also
// needs sts:GetServiceBearerToken for the CodeArtifact service, which the
// condition limits to that service.
func codeArtifactStatements(domainARNs []string, anyDomain bool) []awsiam.PolicyStatement {
	domains := domainARNs
	repositories := make([]string, 0, len(domainARNs))
	for _, arn := range domainARNs {
		repositories = append(repositories, codeArtifactRepositories(arn))
	}
	if len(domains) == 0 {
		if !anyDomain {
			return nil
		}
		domains = []string{"*"}
		repositories = []string{"*"}
	}
	return []awsiam.PolicyStatement{
		statement("GetCodeArtifactTokens", []string{"codeartifact:GetAuthorizationToken"}, domains, nil),
		statement("GetCodeArtifactBearerToken", []string{"sts:GetServiceBearerToken"}, []string{"*"},
			map[string]any{"StringEquals": map[string]any{"sts:AWSServiceName": "codeartifact.amazonaws.com"}}),
		statement("ReadCodeArtifactRepositories", []string{"codeartifact:ReadFromRepository"}, repositories, nil),
	}
}

// codeArtifactRepositories returns the ARN pattern of every repository in a
// domain: arn:...:domain/NAME becomes arn:...:repository/NAME/*.
func codeArtifactRepositories(domainARN string) string {
	return strings.Replace(domainARN, ":domain/", ":repository/", 1) + "/*"
}
