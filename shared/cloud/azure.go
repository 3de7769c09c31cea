package cloud

// AzureNetwork is the Azure side of the azure-privatelink route. Its
// methods are declared with the Azure steps that call them.
type AzureNetwork interface{}
