package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// maxPayloadBytes is the Step Functions limit on a state's input or output
// and on an execution's input: 256 KiB.
const maxPayloadBytes = 256 * 1024

// decodeJSON parses raw JSON into *jsonObject values in document order,
// slices and json.Number values, so that large integers keep their
// precision. Empty input decodes as {}.
func decodeJSON(raw []byte) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return newObject(0), nil
	}
	if v, ok := parseFast(raw); ok {
		return v, nil
	}
	// encoding/json checks the text, with its limit of 10,000 nesting
	// levels and its error messages, and the tokens then build the value.
	dec := json.NewDecoder(bytes.NewReader(raw))
	var value json.RawMessage
	if err := dec.Decode(&value); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode JSON: unexpected data after the value")
	}
	tokens := json.NewDecoder(bytes.NewReader(value))
	tokens.UseNumber()
	v, err := decodeTokens(tokens)
	if err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	return v, nil
}

// decodeTokens reads one value from dec, which reads valid JSON.
func decodeTokens(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := newObject(0)
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeTokens(dec)
			if err != nil {
				return nil, err
			}
			obj.Set(key.(string), v)
		}
		_, err := dec.Token() // }
		return obj, err
	case json.Delim('['):
		arr := make([]any, 0)
		for dec.More() {
			v, err := decodeTokens(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token() // ]
		return arr, err
	}
	return tok, nil
}

// encodeJSON renders a value as compact JSON without HTML escaping.
func encodeJSON(v any) (json.RawMessage, error) {
	if out, ok := appendFast(nil, v, 0); ok {
		return out, nil
	}
	out, err := appendDeep(nil, v, 0, map[any]bool{})
	if err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	return out, nil
}

// mustEncode renders values built by the engine itself, which always encode.
func mustEncode(v any) json.RawMessage {
	raw, err := encodeJSON(v)
	if err != nil {
		panic(err)
	}
	return raw
}

// compactJSON validates raw JSON and returns it compacted; empty input is {}.
func compactJSON(raw []byte) (json.RawMessage, error) {
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, err
	}
	return encodeJSON(v)
}

// checkSize returns States.DataLimitExceeded when a payload is over 256 KiB.
func checkSize(raw []byte, what string) error {
	if len(raw) > maxPayloadBytes {
		return newStateError(ErrorDataLimitExceeded,
			"the %s has %d bytes, more than the limit of %d bytes", what, len(raw), maxPayloadBytes)
	}
	return nil
}
