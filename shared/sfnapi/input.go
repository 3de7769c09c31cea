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

// maxInputBytes is the Step Functions limit on the input of an execution,
// 256 KiB. The engine applies the same limit to the input it stores.
const maxInputBytes = 256 << 10

// prepare returns the input with which StartExecution starts an execution
// of machine: input as Options.PrepareInput returns it, or input itself
// without that option.
//
// The limit of maxInputBytes applies to input as the client sent it, as in
// Step Functions, so the byte count in the error is one that the client
// can check. The prepared input must fit the limit too, because the engine
// stores it and passes it to the first state. When PrepareInput's
// additions, such as request defaults, push it over, the error gives both
// sizes and how many bytes to remove.
func (h *handler) prepare(ctx context.Context, machine, input string) (string, error) {
	if len(input) > maxInputBytes {
		return "", &apiError{Type: "InvalidExecutionInput", Message: fmt.Sprintf(
			"$: the input has %d bytes, more than the limit of %d bytes; shorten it", len(input), maxInputBytes)}
	}
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
	if len(prepared) > maxInputBytes {
		return "", &apiError{Type: "InvalidExecutionInput", Message: fmt.Sprintf(
			"$: the input has %d bytes, and %d bytes with the defaults of the request filled in, "+
				"more than the limit of %d bytes; shorten it by at least %d bytes",
			len(input), len(prepared), maxInputBytes, len(prepared)-maxInputBytes)}
	}
	return string(prepared), nil
}
