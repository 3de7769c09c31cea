package awssim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ServiceSSM is the SigV4 signing name of Systems Manager.
const ServiceSSM = "ssm"

// ssmTargetPrefix starts the X-Amz-Target header of every Systems Manager
// call, which uses the AWS JSON 1.1 protocol.
const ssmTargetPrefix = "AmazonSSM."

// maxParameterNames is the number of names that one GetParameters call
// accepts.
const maxParameterNames = 10

// imageParameterDate is the last-modified time of every sandbox image
// parameter.
var imageParameterDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// serveSSM runs one Systems Manager action. It serves only GetParameters,
// over the public image parameters of the catalogue.
func (s *Server) serveSSM(w http.ResponseWriter, r *http.Request, requestID, action string, body []byte) {
	if err := s.precheck(r, ServiceSSM, action); err != nil {
		s.logCall(ServiceSSM, action, requestID, err)
		writeJSONError(w, err)
		return
	}
	out, err := getParameters(s.signedRegion(r), action, body)
	if err != nil {
		s.logCall(ServiceSSM, action, requestID, err)
		writeJSONError(w, err)
		return
	}
	s.logCall(ServiceSSM, action, requestID, nil)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

type parameterJSON struct {
	Name             string  `json:"Name"`
	Type             string  `json:"Type"`
	Value            string  `json:"Value"`
	Version          int64   `json:"Version"`
	LastModifiedDate float64 `json:"LastModifiedDate"`
	ARN              string  `json:"ARN"`
	DataType         string  `json:"DataType"`
	Selector         string  `json:"Selector,omitempty"`
}

// getParameters returns the catalogue image parameters that the Names of
// a GetParameters body name. As in Systems Manager, a name that does not
// exist is listed under InvalidParameters and does not fail the call. A
// name may end in the selector :1, the only version of a sandbox
// parameter.
func getParameters(region, action string, body []byte) (any, *apiError) {
	if action != "GetParameters" {
		return nil, errorf(http.StatusBadRequest, "UnknownOperationException", "unknown operation %s", action)
	}
	var input struct {
		Names []string `json:"Names"`
	}
	if err := json.Unmarshal(body, &input); err != nil {
		return nil, errorf(http.StatusBadRequest, "SerializationException", "request body is not a GetParameters input")
	}
	if len(input.Names) == 0 || len(input.Names) > maxParameterNames {
		return nil, errorf(http.StatusBadRequest, "ValidationException",
			"1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and %d", maxParameterNames)
	}

	out := struct {
		Parameters        []parameterJSON `json:"Parameters"`
		InvalidParameters []string        `json:"InvalidParameters"`
	}{Parameters: []parameterJSON{}, InvalidParameters: []string{}}
	for _, name := range input.Names {
		image, selector, ok := imageParameter(name)
		if !ok {
			out.InvalidParameters = append(out.InvalidParameters, name)
			continue
		}
		out.Parameters = append(out.Parameters, parameterJSON{
			Name: image.Parameter, Type: "String", Value: image.ID, Version: 1,
			LastModifiedDate: epochSeconds(imageParameterDate),
			ARN:              fmt.Sprintf("arn:aws:ssm:%s::parameter%s", region, image.Parameter),
			DataType:         "aws:ec2:image", Selector: selector,
		})
	}
	return out, nil
}

// imageParameter returns the catalogue image whose parameter name names,
// and the :1 selector when name ends in it.
func imageParameter(name string) (catalogueImage, string, bool) {
	path, selector := name, ""
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		path, selector = name[:i], name[i:]
		if selector != ":1" {
			return catalogueImage{}, "", false
		}
	}
	for _, image := range images {
		if image.Parameter == path {
			return image, selector, true
		}
	}
	return catalogueImage{}, "", false
}
