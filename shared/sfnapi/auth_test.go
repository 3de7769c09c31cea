package sfnapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/engine"
)

const (
	apiKeyID  = "repolink"
	apiSecret = "api-token-for-signature-tests"
)

func TestSignedRequests(t *testing.T) {
	now := time.Now()
	var clock time.Time
	f := newFixtureWith(t, map[string]string{"m": echoMachine}, map[string]engine.TaskFunc{"echo": echo},
		Options{Credentials: &Credentials{AccessKeyID: apiKeyID, SecretAccessKey: apiSecret}, Now: func() time.Time { return clock }})
	tests := []struct {
		name     string
		creds    aws.CredentialsProvider
		clock    time.Time
		wantType string
	}{
		{"right secret", credentials.NewStaticCredentialsProvider(apiKeyID, apiSecret, ""), now, ""},
		{"session token", credentials.NewStaticCredentialsProvider(apiKeyID, apiSecret, "session-token"), now, ""},
		{"wrong secret", credentials.NewStaticCredentialsProvider(apiKeyID, "not-the-token", ""), now, "InvalidSignatureException"},
		{"other key ID", credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", apiSecret, ""), now, "UnrecognizedClientException"},
		{"unsigned", aws.AnonymousCredentials{}, now, "MissingAuthenticationTokenException"},
		{"clock skew", credentials.NewStaticCredentialsProvider(apiKeyID, apiSecret, ""), now.Add(20 * time.Minute), "InvalidSignatureException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock = tt.clock
			client := sfn.New(sfn.Options{
				Region:           region,
				BaseEndpoint:     aws.String(f.url),
				Credentials:      tt.creds,
				RetryMaxAttempts: 1,
			})
			_, err := client.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(machineARN("m"))})
			var got string
			var apiErr smithy.APIError
			if errors.As(err, &apiErr) {
				got = apiErr.ErrorCode()
			} else if err != nil {
				t.Fatalf("ListExecutions: %v", err)
			}
			if got != tt.wantType {
				t.Errorf("error type = %q, want %q (error %v)", got, tt.wantType, err)
			}
			if err != nil && strings.Contains(err.Error(), apiSecret) {
				t.Error("the error contains the secret key")
			}
		})
	}
}

func TestSignedRequestBodyChanged(t *testing.T) {
	creds := Credentials{AccessKeyID: apiKeyID, SecretAccessKey: apiSecret}
	body := []byte(`{"stateMachineArn":"arn"}`)
	r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	stamp := now.Format("20060102T150405Z")
	scope := now.Format("20060102") + "/" + region + "/states/aws4_request"
	r.Host = "127.0.0.1:1"
	r.Header.Set("X-Amz-Date", stamp)
	r.Header.Set("X-Amz-Target", "AWSStepFunctions.ListExecutions")
	signed := []string{"host", "x-amz-date", "x-amz-target"}
	sig := signature(canonicalRequest(r, body, signed), stamp, scope, apiSecret)
	r.Header.Set("Authorization", sigV4+" Credential="+apiKeyID+"/"+scope+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)

	if err := verify(r, body, creds, now); err != nil {
		t.Fatalf("verify the signed body: %v", err)
	}
	if err := verify(r, []byte(`{"stateMachineArn":"other"}`), creds, now); err == nil {
		t.Error("verify accepted a changed body")
	}
	r.Header.Set("X-Amz-Target", "AWSStepFunctions.StopExecution")
	if err := verify(r, body, creds, now); err == nil {
		t.Error("verify accepted a changed X-Amz-Target")
	}
}

// TestUnsignedAmzHeaderRejected signs a DescribeExecution request with one
// of its x-amz-* headers left out of SignedHeaders, and checks that neither
// the request nor its replay as StopExecution verifies.
func TestUnsignedAmzHeaderRejected(t *testing.T) {
	creds := Credentials{AccessKeyID: apiKeyID, SecretAccessKey: apiSecret}
	body := []byte(`{"executionArn":"arn"}`)
	now := time.Now().UTC()
	stamp := now.Format("20060102T150405Z")
	scope := now.Format("20060102") + "/" + region + "/states/aws4_request"
	tests := []struct {
		name   string
		header string
		value  string
		signed []string
	}{
		{"target", "X-Amz-Target", "AWSStepFunctions.DescribeExecution", []string{"host", "x-amz-date"}},
		{"date", "X-Amz-Date", stamp, []string{"host", "x-amz-target"}},
		{"content hash", "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD", []string{"host", "x-amz-date", "x-amz-target"}},
		{"security token", "X-Amz-Security-Token", "session-token", []string{"host", "x-amz-date", "x-amz-target"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", nil)
			if err != nil {
				t.Fatal(err)
			}
			r.Host = "127.0.0.1:1"
			r.Header.Set("X-Amz-Date", stamp)
			r.Header.Set("X-Amz-Target", "AWSStepFunctions.DescribeExecution")
			r.Header.Set(tt.header, tt.value)
			sig := signature(canonicalRequest(r, body, tt.signed), stamp, scope, apiSecret)
			r.Header.Set("Authorization", sigV4+" Credential="+apiKeyID+"/"+scope+", SignedHeaders="+strings.Join(tt.signed, ";")+", Signature="+sig)

			err = verify(r, body, creds, now)
			var ae *apiError
			if !errors.As(err, &ae) {
				t.Fatalf("verify = %v, want IncompleteSignatureException", err)
			}
			if ae.Type != "IncompleteSignatureException" {
				t.Errorf("error type = %s, want IncompleteSignatureException", ae.Type)
			}
			if want := strings.ToLower(tt.header); !strings.Contains(ae.Message, want) {
				t.Errorf("message %q does not name %s", ae.Message, want)
			}

			r.Header.Set("X-Amz-Target", "AWSStepFunctions.StopExecution")
			if err := verify(r, body, creds, now); err == nil {
				t.Error("verify accepted the request replayed as StopExecution")
			}
		})
	}
}

func TestListStateMachines(t *testing.T) {
	f := newFixture(t, map[string]string{"m": echoMachine, "other": echoMachine}, map[string]engine.TaskFunc{"echo": echo})
	out, err := f.client.ListStateMachines(context.Background(), &sfn.ListStateMachinesInput{})
	if err != nil {
		t.Fatalf("ListStateMachines: %v", err)
	}
	var got []string
	for _, m := range out.StateMachines {
		got = append(got, aws.ToString(m.Name)+" "+aws.ToString(m.StateMachineArn))
		if m.CreationDate == nil || time.Since(*m.CreationDate) > time.Minute {
			t.Errorf("machine %s has creationDate %v, want about now", aws.ToString(m.Name), m.CreationDate)
		}
	}
	want := []string{"m " + machineARN("m"), "other " + machineARN("other")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("machines (-want +got):\n%s", diff)
	}
}

func TestSignatureScope(t *testing.T) {
	creds := Credentials{AccessKeyID: apiKeyID, SecretAccessKey: apiSecret}
	body := []byte(`{"stateMachineArn":"arn"}`)
	tests := []struct {
		name    string
		region  string
		service string
		// wantErr is part of the error, or "" when the signature is valid.
		wantErr string
	}{
		{"states in the default region", region, "states", ""},
		{"states in another region", "eu-central-1", "states", ""},
		{"another service", region, "s3", `is not for the states service`},
		{"service in upper case", region, "STATES", `is not for the states service`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", nil)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			stamp := now.Format("20060102T150405Z")
			scope := now.Format("20060102") + "/" + tt.region + "/" + tt.service + "/aws4_request"
			r.Host = "127.0.0.1:1"
			r.Header.Set("X-Amz-Date", stamp)
			signed := []string{"host", "x-amz-date"}
			sig := signature(canonicalRequest(r, body, signed), stamp, scope, apiSecret)
			r.Header.Set("Authorization", sigV4+" Credential="+apiKeyID+"/"+scope+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)

			err = verify(r, body, creds, now)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("verify accepted the scope %s", scope)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}
