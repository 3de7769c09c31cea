package main

import "github.com/repolink/repolink/shared/request"

// checkSecretARNs returns a *request.ValidationError for each
// aws-secretsmanager: reference that gives a secret name, because this
// command reads a secret with a client for the region in its ARN.
func checkSecretARNs(req request.Request) error {
	var fields []request.FieldError
	for _, field := range req.AWSSecretNameRefs() {
		fields = append(fields, request.FieldError{Path: field.Path,
			Message: "is an aws-secretsmanager: reference to a secret name, not an ARN; " + request.AWSSecretNameFix})
	}
	if len(fields) == 0 {
		return nil
	}
	return &request.ValidationError{Fields: fields}
}
