package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// Near-deadline waits are counted from the poller's JSON log: the poller
// logs this message once per poll for each wait that is close to its
// deadline.
const (
	nearDeadlineMessage = "wait near deadline"
	nearDeadlineMetric  = "WaitsNearDeadline"
)

// newAlarms creates the alarms for failed runs, poller errors and waits near
// their deadline, each notifying the alarm topic when one is configured.
func (s *Stack) newAlarms(cfg Config) {
	var alarms []awscloudwatch.Alarm
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))

	for key, machine := range s.Machines {
		alarms = append(alarms, awscloudwatch.NewAlarm(s.Stack, jsii.String(constructID(key)+"FailedAlarm"), &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String("a run of the " + key + " state machine failed; inspect it and redrive it once the cause is fixed"),
			Metric: machine.MetricFailed(&awscloudwatch.MetricOptions{
				Period:    fiveMinutes,
				Statistic: jsii.String("Sum"),
			}),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}))
	}

	// The next poll a minute later repeats a failed one, so a single error
	// is no alarm. Three in five minutes mean the poller is broken.
	poller := s.Functions[pollerSpec.Handler]
	alarms = append(alarms, awscloudwatch.NewAlarm(s.Stack, jsii.String("PollerErrorsAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("the poller failed in at least 3 of the last 5 minutes; waiting runs are not completed"),
		Metric: poller.MetricErrors(&awscloudwatch.MetricOptions{
			Period:    fiveMinutes,
			Statistic: jsii.String("Sum"),
		}),
		Threshold:          jsii.Number(3),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	}))

	nearDeadline := awslogs.NewMetricFilter(s.Stack, jsii.String("WaitsNearDeadlineFilter"), &awslogs.MetricFilterProps{
		LogGroup: poller.LogGroup(),
		FilterPattern: awslogs.FilterPattern_StringValue(
			jsii.String("$.msg"), jsii.String("="), jsii.String(nearDeadlineMessage)),
		MetricNamespace: jsii.String("Repolink/" + cfg.Prefix),
		MetricName:      jsii.String(nearDeadlineMetric),
		MetricValue:     jsii.String("1"),
	})
	alarms = append(alarms, awscloudwatch.NewAlarm(s.Stack, jsii.String("WaitsNearDeadlineAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("a run has waited almost until its deadline for Snowflake to report the endpoint live; check the endpoint and the connection"),
		Metric: nearDeadline.Metric(&awscloudwatch.MetricOptions{
			Period:    fiveMinutes,
			Statistic: jsii.String("Sum"),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	}))

	if cfg.AlarmTopicARN == "" {
		return
	}
	topic := awssns.Topic_FromTopicArn(s.Stack, jsii.String("AlarmTopic"), jsii.String(cfg.AlarmTopicARN))
	for _, alarm := range alarms {
		alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
	}
}
