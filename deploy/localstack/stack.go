package localstack

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"gopkg.in/yaml.v3"
)

// DeployStack creates a CloudFormation stack in moto from a template file,
// waits for CREATE_COMPLETE and returns its outputs.
//
// moto's CloudFormation creates buckets without their
// NotificationConfiguration, so DeployStack then applies each bucket's
// queue notifications as the template writes them (read from the template,
// never retyped), resolving {"Fn::GetAtt": [QUEUE, "Arn"]} to the stack's
// queue.
func (m *Moto) DeployStack(ctx context.Context, templatePath, name string, params map[string]string) (map[string]string, error) {
	body, err := os.ReadFile(templatePath)
	if err != nil {
		return nil, err
	}
	cfg := m.AWSConfig()
	cfn := cloudformation.NewFromConfig(cfg)
	in := &cloudformation.CreateStackInput{
		StackName:    aws.String(name),
		TemplateBody: aws.String(string(body)),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityNamedIam},
	}
	for k, v := range params {
		in.Parameters = append(in.Parameters, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	if _, err := cfn.CreateStack(ctx, in); err != nil {
		return nil, fmt.Errorf("create stack %s: %w", name, err)
	}
	outputs, err := waitForStack(ctx, cfn, name)
	if err != nil {
		return nil, err
	}
	if err := m.applyNotifications(ctx, cfn, body, name); err != nil {
		return nil, err
	}
	return outputs, nil
}

func waitForStack(ctx context.Context, cfn *cloudformation.Client, name string) (map[string]string, error) {
	deadline := time.Now().Add(90 * time.Second)
	for {
		out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
		if err != nil {
			return nil, fmt.Errorf("describe stack %s: %w", name, err)
		}
		st := out.Stacks[0]
		switch status := string(st.StackStatus); {
		case st.StackStatus == cfntypes.StackStatusCreateComplete:
			outputs := map[string]string{}
			for _, o := range st.Outputs {
				outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
			}
			return outputs, nil
		case strings.HasSuffix(status, "FAILED") || strings.Contains(status, "ROLLBACK"):
			return nil, fmt.Errorf("stack %s: %s: %s\n%s", name, status, aws.ToString(st.StackStatusReason), stackEvents(ctx, cfn, name))
		case time.Now().After(deadline):
			return nil, fmt.Errorf("stack %s still %s after 90s\n%s", name, status, stackEvents(ctx, cfn, name))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func stackEvents(ctx context.Context, cfn *cloudformation.Client, name string) string {
	out, err := cfn.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(name)})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range out.StackEvents {
		fmt.Fprintf(&b, "  %s %s %s\n", aws.ToString(e.LogicalResourceId), e.ResourceStatus, aws.ToString(e.ResourceStatusReason))
	}
	return b.String()
}

// cfnTemplate is the part of a template applyNotifications reads.
type cfnTemplate struct {
	Resources map[string]struct {
		Type       string `yaml:"Type"`
		Properties struct {
			NotificationConfiguration struct {
				QueueConfigurations []struct {
					Event  string         `yaml:"Event"`
					Queue  map[string]any `yaml:"Queue"`
					Filter struct {
						S3Key struct {
							Rules []struct {
								Name  string `yaml:"Name"`
								Value string `yaml:"Value"`
							} `yaml:"Rules"`
						} `yaml:"S3Key"`
					} `yaml:"Filter"`
				} `yaml:"QueueConfigurations"`
			} `yaml:"NotificationConfiguration"`
		} `yaml:"Properties"`
	} `yaml:"Resources"`
}

// applyNotifications puts the template's bucket notifications on the
// stack's buckets.
func (m *Moto) applyNotifications(ctx context.Context, cfn *cloudformation.Client, body []byte, name string) error {
	var tpl cfnTemplate
	if err := yaml.Unmarshal(body, &tpl); err != nil {
		return fmt.Errorf("parse template (long-form intrinsics only): %w", err)
	}
	res, err := cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe stack resources: %w", err)
	}
	physical := map[string]string{}
	for _, r := range res.StackResources {
		physical[aws.ToString(r.LogicalResourceId)] = aws.ToString(r.PhysicalResourceId)
	}
	cfg := m.AWSConfig()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	sqsc := sqs.NewFromConfig(cfg)
	for logical, r := range tpl.Resources {
		qcs := r.Properties.NotificationConfiguration.QueueConfigurations
		if r.Type != "AWS::S3::Bucket" || len(qcs) == 0 {
			continue
		}
		var conf s3types.NotificationConfiguration
		for _, qc := range qcs {
			ref, _ := qc.Queue["Fn::GetAtt"].([]any)
			if len(ref) != 2 || ref[1] != "Arn" {
				return fmt.Errorf("bucket %s: queue %v: want {\"Fn::GetAtt\": [QUEUE, \"Arn\"]}", logical, qc.Queue)
			}
			queueURL := physical[fmt.Sprint(ref[0])]
			attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
			if err != nil {
				return fmt.Errorf("queue %v of bucket %s: %w", ref[0], logical, err)
			}
			c := s3types.QueueConfiguration{
				QueueArn: aws.String(attrs.Attributes["QueueArn"]),
				Events:   []s3types.Event{s3types.Event(qc.Event)},
			}
			var rules []s3types.FilterRule
			for _, rule := range qc.Filter.S3Key.Rules {
				rules = append(rules, s3types.FilterRule{Name: s3types.FilterRuleName(strings.ToLower(rule.Name)), Value: aws.String(rule.Value)})
			}
			if len(rules) > 0 {
				c.Filter = &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: rules}}
			}
			conf.QueueConfigurations = append(conf.QueueConfigurations, c)
		}
		if _, err := s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
			Bucket: aws.String(physical[logical]), NotificationConfiguration: &conf,
		}); err != nil {
			return fmt.Errorf("notifications of bucket %s: %w", logical, err)
		}
	}
	return nil
}
