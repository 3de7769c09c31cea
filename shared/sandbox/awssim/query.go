package awssim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const (
	ec2Namespace   = "http://ec2.amazonaws.com/doc/2016-11-15/"
	elbv2Namespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
)

// writeEC2 writes an EC2 success response. EC2 puts the output's fields
// directly under the <Action>Response root, and lists use <item> entries.
func writeEC2(w http.ResponseWriter, action, requestID string, out any) {
	if out == nil {
		out = struct{}{}
	}
	// Encode the output under a throwaway element, then keep only its
	// children, so they sit directly under the response root.
	var inner bytes.Buffer
	if err := xml.NewEncoder(&inner).EncodeElement(out, xml.StartElement{Name: xml.Name{Local: "x"}}); err != nil {
		writeQueryError(w, ServiceEC2, requestID, errorf(http.StatusInternalServerError, "InternalError", "encode response: %v", err))
		return
	}
	fields := strings.TrimSuffix(strings.TrimPrefix(inner.String(), "<x>"), "</x>")

	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<%sResponse xmlns="%s"><requestId>%s</requestId>%s</%sResponse>`,
		action, ec2Namespace, requestID, fields, action)
}

// writeELB writes an ELBv2 success response: the output goes inside an
// <Action>Result element, which the SDK requires.
func writeELB(w http.ResponseWriter, action, requestID string, out any) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	enc := xml.NewEncoder(w)
	start := xml.StartElement{
		Name: xml.Name{Local: action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: elbv2Namespace}},
	}
	if out == nil {
		out = struct{}{}
	}
	_ = enc.EncodeToken(start)
	_ = enc.EncodeElement(out, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	_ = enc.EncodeElement(struct {
		RequestID string `xml:"RequestId"`
	}{requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	_ = enc.EncodeToken(start.End())
	_ = enc.Flush()
}

// writeQueryError writes an error in the shape of service: EC2's
// <Response><Errors><Error> or ELBv2's <ErrorResponse><Error>.
func writeQueryError(w http.ResponseWriter, service, requestID string, err error) {
	apiErr := asAPIError(err)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(apiErr.status)

	type errorBody struct {
		Type    string `xml:"Type,omitempty"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if service == ServiceEC2 {
		_ = xml.NewEncoder(w).Encode(struct {
			XMLName   xml.Name  `xml:"Response"`
			Errors    errorBody `xml:"Errors>Error"`
			RequestID string    `xml:"RequestID"`
		}{Errors: errorBody{Code: apiErr.code, Message: apiErr.message}, RequestID: requestID})
		return
	}
	kind := "Sender"
	if apiErr.status >= 500 {
		kind = "Receiver"
	}
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName   xml.Name  `xml:"ErrorResponse"`
		Xmlns     string    `xml:"xmlns,attr"`
		Error     errorBody `xml:"Error"`
		RequestID string    `xml:"RequestId"`
	}{Xmlns: elbv2Namespace, Error: errorBody{Type: kind, Code: apiErr.code, Message: apiErr.message}, RequestID: requestID})
}

// writeJSONError writes an error in the AWS JSON 1.1 shape.
func writeJSONError(w http.ResponseWriter, err error) {
	apiErr := asAPIError(err)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", apiErr.code)
	w.WriteHeader(apiErr.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": apiErr.code, "message": apiErr.message})
}

func asAPIError(err error) *apiError {
	if apiErr, ok := err.(*apiError); ok {
		return apiErr
	}
	return errorf(http.StatusInternalServerError, "InternalError", "%v", err)
}

// list returns the values of prefix.1, prefix.2, ... up to the first gap.
func list(form url.Values, prefix string) []string {
	var out []string
	for i := 1; form.Has(prefix + "." + strconv.Itoa(i)); i++ {
		out = append(out, form.Get(prefix+"."+strconv.Itoa(i)))
	}
	return out
}

// structs returns the field maps of prefix.1.*, prefix.2.*, ... up to the
// first index with no field, such as Tags.member.1.Key.
func structs(form url.Values, prefix string) []map[string]string {
	var out []map[string]string
	for i := 1; ; i++ {
		head := prefix + "." + strconv.Itoa(i) + "."
		fields := map[string]string{}
		for key, values := range form {
			if rest, ok := strings.CutPrefix(key, head); ok && len(values) > 0 {
				fields[rest] = values[0]
			}
		}
		if len(fields) == 0 {
			return out
		}
		out = append(out, fields)
	}
}

// ec2Filter is one Filter.N of an EC2 describe call.
type ec2Filter struct {
	Name   string
	Values []string
}

func ec2Filters(form url.Values) []ec2Filter {
	var out []ec2Filter
	for i := 1; form.Has("Filter." + strconv.Itoa(i) + ".Name"); i++ {
		head := "Filter." + strconv.Itoa(i)
		out = append(out, ec2Filter{Name: form.Get(head + ".Name"), Values: list(form, head+".Value")})
	}
	return out
}

// ec2Tags returns the tags of the TagSpecification for resourceType.
func ec2Tags(form url.Values, resourceType string) map[string]string {
	tags := map[string]string{}
	for i := 1; form.Has("TagSpecification." + strconv.Itoa(i) + ".ResourceType"); i++ {
		head := "TagSpecification." + strconv.Itoa(i)
		if form.Get(head+".ResourceType") != resourceType {
			continue
		}
		for _, tag := range structs(form, head+".Tag") {
			tags[tag["Key"]] = tag["Value"]
		}
	}
	return tags
}

func contains(values []string, v string) bool {
	for _, candidate := range values {
		if candidate == v {
			return true
		}
	}
	return false
}

// page cuts items to the page that NextToken and MaxResults (or
// Options.PageSize) select, and returns the token of the next page.
func page[T any](s *Server, form url.Values, items []T) ([]T, string, error) {
	start := 0
	if token := form.Get("NextToken"); token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", errorf(http.StatusBadRequest, "InvalidNextToken", "invalid NextToken %q", token)
		}
		start = n
	}
	size := s.opts.PageSize
	if max := form.Get("MaxResults"); max != "" {
		n, err := strconv.Atoi(max)
		if err != nil || n < 1 {
			return nil, "", errorf(http.StatusBadRequest, "InvalidParameterValue", "invalid MaxResults %q", max)
		}
		size = n
	}
	if size <= 0 || start+size >= len(items) {
		return items[start:], "", nil
	}
	return items[start : start+size], strconv.Itoa(start + size), nil
}

// tagItem is one entry of an EC2 tagSet.
type tagItem struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func ec2TagSet(tags map[string]string) []tagItem {
	out := make([]tagItem, 0, len(tags))
	for _, key := range sortedKeys(tags) {
		out = append(out, tagItem{Key: key, Value: tags[key]})
	}
	return out
}
