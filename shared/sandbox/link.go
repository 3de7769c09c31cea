package sandbox

import (
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/sandbox/sfsim"
)

// linkMux is the provider side of private connectivity as the sandbox
// Snowflake sees it. It sends each call to the cloud that a service ID
// names, by the ID's shape: an AWS endpoint service name, an Azure resource
// ID, or a Google Cloud service attachment path.
type linkMux struct {
	AWS   sfsim.PrivateLink
	Azure sfsim.PrivateLink
	GCP   sfsim.PrivateLink
}

var _ sfsim.PrivateLink = linkMux{}

// cloudOf returns the cloud that a provider service ID belongs to, or "".
func cloudOf(serviceID string) string {
	switch {
	case strings.HasPrefix(serviceID, "com.amazonaws.vpce."), strings.HasPrefix(serviceID, "cn.com.amazonaws.vpce."):
		return "aws"
	case strings.HasPrefix(strings.ToLower(serviceID), "/subscriptions/"):
		return "azure"
	case strings.HasPrefix(serviceID, "projects/"), strings.Contains(serviceID, "/projects/"):
		return "gcp"
	}
	return ""
}

// pick returns the cloud side that serves serviceID.
func (m linkMux) pick(serviceID string) (sfsim.PrivateLink, error) {
	var link sfsim.PrivateLink
	cloud := cloudOf(serviceID)
	switch cloud {
	case "aws":
		link = m.AWS
	case "azure":
		link = m.Azure
	case "gcp":
		link = m.GCP
	default:
		return nil, fmt.Errorf("service ID %q is not an AWS endpoint service name, an Azure resource ID or a Google Cloud service attachment", serviceID)
	}
	if link == nil {
		return nil, fmt.Errorf("service ID %q names %s, which the sandbox does not run", serviceID, cloud)
	}
	return link, nil
}

func (m linkMux) Connect(serviceID, principal string) (string, error) {
	link, err := m.pick(serviceID)
	if err != nil {
		return "", err
	}
	return link.Connect(serviceID, principal)
}

func (m linkMux) ConnectionState(serviceID, endpointID string) (string, error) {
	link, err := m.pick(serviceID)
	if err != nil {
		return "", err
	}
	return link.ConnectionState(serviceID, endpointID)
}

func (m linkMux) Address(serviceID string) (string, error) {
	link, err := m.pick(serviceID)
	if err != nil {
		return "", err
	}
	return link.Address(serviceID)
}

func (m linkMux) Disconnect(serviceID, endpointID string) error {
	link, err := m.pick(serviceID)
	if err != nil {
		return err
	}
	return link.Disconnect(serviceID, endpointID)
}
