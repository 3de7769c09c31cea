package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// InvalidInputError is the error with which Options.PrepareInput rejects
// the input of a StartExecution request. Message names the invalid field.
type InvalidInputError struct {
	Message string
}

func (e *InvalidInputError) Error() string { return e.Message }

// prepare returns the input with which StartExecution starts an execution
// of machine: input as Options.PrepareInput returns it, or input itself
// without that option.
func (h *handler) prepare(ctx context.Context, machine, input string) (string, error) {
	if h.prepareInput == nil {
		return input, nil
	}
	prepared, err := h.prepareInput(ctx, machine, json.RawMessage(input))
	var invalid *InvalidInputError
	if errors.As(err, &invalid) {
		return "", &apiError{Type: "InvalidExecutionInput", Message: invalid.Message}
	}
	if err != nil {
		return "", fmt.Errorf("prepare the input of an execution of %q: %w", machine, err)
	}
	return string(prepared), nil
}
