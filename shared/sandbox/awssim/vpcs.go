package awssim

import (
	"net/http"
	"net/url"
	"regexp"
)

// sandboxVPCBlock is the IPv4 CIDR block of every sandbox VPC. The sandbox
// gives its instances addresses in it.
const sandboxVPCBlock = "10.0.0.0/16"

// vpcIDPattern is the form of a VPC ID. It allows any length, as the
// sandbox does in CreateTargetGroup.
var vpcIDPattern = regexp.MustCompile(`^vpc-[0-9a-z]+$`)

type vpcXML struct {
	ID     string `xml:"vpcId"`
	CIDR   string `xml:"cidrBlock"`
	State  string `xml:"state"`
	Blocks []struct {
		CIDR  string `xml:"cidrBlock"`
		State string `xml:"cidrBlockState>state"`
	} `xml:"cidrBlockAssociationSet>item"`
}

// describeVpcs lists the VPCs named by VpcId, each with sandboxVPCBlock,
// because the sandbox does not record VPCs. A malformed ID fails with
// InvalidVpcID.Malformed.
func describeVpcs(form url.Values) (any, error) {
	out := struct {
		VPCs []vpcXML `xml:"vpcSet>item"`
	}{}
	for _, id := range list(form, "VpcId") {
		if !vpcIDPattern.MatchString(id) {
			return nil, errorf(http.StatusBadRequest, "InvalidVpcID.Malformed", "Invalid id: %q", id)
		}
		vpc := vpcXML{ID: id, CIDR: sandboxVPCBlock, State: "available"}
		vpc.Blocks = append(vpc.Blocks, struct {
			CIDR  string `xml:"cidrBlock"`
			State string `xml:"cidrBlockState>state"`
		}{CIDR: sandboxVPCBlock, State: "associated"})
		out.VPCs = append(out.VPCs, vpc)
	}
	return out, nil
}

type securityGroupXML struct {
	ID    string `xml:"groupId"`
	VPCID string `xml:"vpcId"`
}

// describeSecurityGroups lists the security groups named by GroupId, and
// fails with InvalidGroup.NotFound for one that the sandbox does not have.
func (s *Server) describeSecurityGroups(region string, form url.Values) (any, error) {
	out := struct {
		Groups []securityGroupXML `xml:"securityGroupInfo>item"`
	}{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range list(form, "GroupId") {
		group, err := s.securityGroup(region, id)
		if err != nil {
			return nil, err
		}
		out.Groups = append(out.Groups, securityGroupXML{ID: group.ID, VPCID: group.VPCID})
	}
	return out, nil
}
