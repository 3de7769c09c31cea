package awssim

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// secretNotFound is the message Secrets Manager returns for an unknown
// secret.
const secretNotFound = "Secrets Manager can't find the specified secret."

// serveSecrets runs one Secrets Manager action (AWS JSON 1.1 protocol).
func (s *Server) serveSecrets(w http.ResponseWriter, r *http.Request, requestID, action string, body []byte) {
	if err := s.precheck(r, ServiceSecretsManager, action); err != nil {
		s.logCall(ServiceSecretsManager, action, requestID, err)
		writeJSONError(w, err)
		return
	}
	var input map[string]any
	if err := json.Unmarshal(body, &input); err != nil {
		err := errorf(http.StatusBadRequest, "SerializationException", "request body is not a JSON object")
		s.logCall(ServiceSecretsManager, action, requestID, err)
		writeJSONError(w, err)
		return
	}

	region := s.signedRegion(r)
	var out any
	var err error
	switch action {
	case "GetSecretValue":
		out, err = s.getSecretValue(region, input)
	case "CreateSecret":
		out, err = s.createSecret(region, input)
	case "PutSecretValue":
		out, err = s.putSecretValue(region, input)
	default:
		err = errorf(http.StatusBadRequest, "UnknownOperationException", "unknown operation %s", action)
	}
	s.logCall(ServiceSecretsManager, action, requestID, err)
	if err != nil {
		writeJSONError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func stringField(input map[string]any, key string) string {
	v, _ := input[key].(string)
	return v
}

// epochSeconds is a timestamp in the JSON protocols' form.
func epochSeconds(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}

// findSecret returns the secret of region that is named id, has ARN id, or
// has an ARN that id is a prefix of (a partial ARN without the random
// suffix). Secrets Manager keeps secrets per region, so a secret of another
// region is not found. Callers hold s.mu.
func (s *Server) findSecret(region, id string) *Secret {
	for _, secret := range s.world.Secrets {
		if secretRegion(secret.ARN) != region {
			continue
		}
		if secret.ARN == id || secret.Name == id {
			return secret
		}
		if strings.HasPrefix(id, "arn:") && strings.HasPrefix(secret.ARN, id+"-") && len(secret.ARN) == len(id)+7 {
			return secret
		}
	}
	return nil
}

func (s *Server) getSecretValue(region string, input map[string]any) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	secret := s.findSecret(region, stringField(input, "SecretId"))
	if secret == nil {
		return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", secretNotFound)
	}
	value, err := s.sealer.Open(secret.Value)
	if err != nil {
		s.log.Error("awssim secret value does not open", "secret", secret.ARN, "error", err)
		return nil, errorf(http.StatusInternalServerError, "InternalServiceError", "open the value of secret %s: %v", secret.Name, err)
	}
	return map[string]any{
		"ARN":           secret.ARN,
		"Name":          secret.Name,
		"SecretString":  value,
		"VersionId":     secret.VersionID,
		"VersionStages": []string{"AWSCURRENT"},
		"CreatedDate":   epochSeconds(secret.CreatedAt),
	}, nil
}

func (s *Server) createSecret(region string, input map[string]any) (any, error) {
	name := stringField(input, "Name")
	if name == "" {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterException", "You must provide a Name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	secret, err := s.storeSecret(region, name, stringField(input, "SecretString"), stringField(input, "ClientRequestToken"), false)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ARN": secret.ARN, "Name": secret.Name, "VersionId": secret.VersionID}, nil
}

func (s *Server) putSecretValue(region string, input map[string]any) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	secret := s.findSecret(region, stringField(input, "SecretId"))
	if secret == nil {
		return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", secretNotFound)
	}
	secret, err := s.storeSecret(region, secret.ARN, stringField(input, "SecretString"), stringField(input, "ClientRequestToken"), true)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"ARN": secret.ARN, "Name": secret.Name, "VersionId": secret.VersionID, "VersionStages": []string{"AWSCURRENT"},
	}, nil
}

// storeSecret creates the secret name in region, or with overwrite gives it
// a new value. A name that is a secret ARN is looked up and created in the
// ARN's region instead. Callers hold s.mu.
func (s *Server) storeSecret(region, name, value, versionID string, overwrite bool) (*Secret, error) {
	region = secretLookupRegion(region, name)
	if versionID == "" {
		versionID = uuid.NewString()
	}
	sealed, err := s.sealer.Seal(value)
	if err != nil {
		return nil, errorf(http.StatusInternalServerError, "InternalServiceError", "%v", err)
	}
	secret := s.findSecret(region, name)
	if secret != nil && !overwrite {
		return nil, errorf(http.StatusBadRequest, "ResourceExistsException", "The operation failed because the secret %s already exists.", name)
	}
	created := secret == nil
	if created {
		secret = &Secret{
			ARN:       "arn:" + partition(region).ID + ":secretsmanager:" + region + ":" + s.opts.AccountID + ":secret:" + name + "-" + randomHex(6),
			Name:      name,
			CreatedAt: s.now(),
		}
		// A request names its secret by ARN, so the seeded secret keeps
		// that ARN, with the suffix that Secrets Manager adds, and the
		// name in it.
		if _, secretName, ok := strings.Cut(name, ":secret:"); ok && strings.HasPrefix(name, "arn:") {
			secret.ARN, secret.Name = name+"-"+randomHex(6), secretName
		}
		s.world.Secrets[secret.ARN] = secret
	}
	previous := *secret
	secret.Value, secret.VersionID = sealed, versionID
	if err := s.commit(); err != nil {
		*secret = previous
		if created {
			delete(s.world.Secrets, secret.ARN)
		}
		return nil, err
	}
	return secret, nil
}

// PutSecret stores value under name, creating the secret or replacing its
// value, and returns the secret's ARN. It seeds the sandbox with the
// credentials that requests reference. A secret named by ARN goes in the
// ARN's region, and one named otherwise in the server's region.
func (s *Server) PutSecret(name, value string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	region := secretLookupRegion(s.opts.Region, name)
	if existing := s.findSecret(region, name); existing != nil {
		if current, err := s.sealer.Open(existing.Value); err == nil && current == value {
			return existing.ARN, nil
		}
	}
	secret, err := s.storeSecret(region, name, value, "", true)
	if err != nil {
		return "", err
	}
	return secret.ARN, nil
}

// HasSecret reports whether a secret with the given ARN, in the ARN's
// region, or the given name, in the server's region, exists.
func (s *Server) HasSecret(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.findSecret(secretLookupRegion(s.opts.Region, id), id) != nil
}

// secretLookupRegion returns the region of id when id is a secret ARN, full
// or without the random suffix, and fallback otherwise.
func secretLookupRegion(fallback, id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return fallback
	}
	if region := secretRegion(id); region != "" {
		return region
	}
	return fallback
}

// secretRegion returns the region field of a secret ARN
// (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>).
func secretRegion(arn string) string {
	fields := strings.SplitN(arn, ":", 5)
	if len(fields) < 5 {
		return ""
	}
	return fields[3]
}
