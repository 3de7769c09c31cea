package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// ImageParameter returns the value of a Systems Manager parameter from
// GetParameters, the call and right (ssm:GetParameters) that EC2 uses to
// resolve a resolve:ssm: image. GetParameters lists a name that does not
// exist under InvalidParameters instead of failing, and ImageParameter
// fails it with cloud.ErrInvalidImage in the chain.
func (p *Provider) ImageParameter(ctx context.Context, name string) (string, error) {
	out, err := p.ssm.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{name}})
	if err != nil {
		return "", classify(err, p.region, "get parameter %s", name)
	}
	for _, parameter := range out.Parameters {
		value := aws.ToString(parameter.Value)
		if value != "" {
			return value, nil
		}
	}
	return "", &stepError{
		named: &workflow.Error{Name: workflow.ErrInvalidRequest,
			Message: "aws: get parameter " + name + " in region " + p.region + ": Systems Manager has no such parameter"},
		cause: cloud.ErrInvalidImage,
	}
}
