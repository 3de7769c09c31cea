package cloud

// GCPNetwork is the Google Cloud side of the gcp-privatelink route. Its
// methods are declared with the Google Cloud steps that call them.
type GCPNetwork interface{}
