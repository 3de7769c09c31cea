package main

import "testing"

// TestUnknownAzureLocationRejected checks that run and plan reject an
// azure-privatelink request whose azure.location the subscription does not
// list with status 2 and the field named, and that run starts no
// execution for it.
func TestUnknownAzureLocationRejected(t *testing.T) {
	dir := t.TempDir()
	req := writeAzureExample(t, "azure-privatelink.json", "AZ-LOC", "atlantis")
	checkRejectedBeforeStart(t, dir, req, "$.azure.location atlantis is not a location of subscription")
}
