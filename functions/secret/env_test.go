package secret

import (
	"context"
	"errors"
)

type envSecrets map[string]string

func (s envSecrets) Resolve(_ context.Context, ref string) (string, error) {
	if v, ok := s[ref]; ok {
		return v, nil
	}
	return "", errors.New("secret reference not found: " + ref)
}
