package aws

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

func TestImageParameterRequest(t *testing.T) {
	const name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
	var target, auth string
	var input struct{ Names []string }
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, auth = r.Header.Get("X-Amz-Target"), r.Header.Get("Authorization")
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &input); err != nil {
			t.Errorf("GetParameters body %q: %v", body, err)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Parameters":[{"Name":"`+name+`","Type":"String","Value":"ami-0123456789abcdef0","DataType":"aws:ec2:image"}],"InvalidParameters":[]}`)
	}))
	t.Cleanup(server.Close)
	p := newTestProvider(t, server.URL)

	got, err := p.ImageParameter(t.Context(), name)
	if err != nil {
		t.Fatalf("ImageParameter: %v", err)
	}
	if got != "ami-0123456789abcdef0" {
		t.Errorf("ImageParameter = %q, want ami-0123456789abcdef0", got)
	}
	if target != "AmazonSSM.GetParameters" {
		t.Errorf("X-Amz-Target = %q, want AmazonSSM.GetParameters", target)
	}
	if !strings.Contains(auth, "/us-west-2/ssm/aws4_request") {
		t.Errorf("Authorization %q is not signed for ssm in us-west-2", auth)
	}
	if diff := cmp.Diff([]string{name}, input.Names); diff != "" {
		t.Errorf("GetParameters Names (-want +got):\n%s", diff)
	}
}

func TestImageParameterSandbox(t *testing.T) {
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())

	got, err := p.ImageParameter(t.Context(), "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64")
	if err != nil {
		t.Fatalf("ImageParameter: %v", err)
	}
	image, err := p.Image(t.Context(), got)
	if err != nil {
		t.Fatalf("Image(%s): %v", got, err)
	}
	if image.Architecture != "arm64" {
		t.Errorf("image %s is %s, want arm64", got, image.Architecture)
	}

	_, err = p.ImageParameter(t.Context(), "/aws/service/no-such-image")
	if !errors.Is(err, cloud.ErrInvalidImage) {
		t.Errorf("ImageParameter of a missing parameter = %v, want cloud.ErrInvalidImage in the chain", err)
	}
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Errorf("ImageParameter of a missing parameter is named %q, want %s", got, workflow.ErrInvalidRequest)
	}
}

func TestImageParameterRetriesServerError(t *testing.T) {
	calls := 0
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if calls == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"__type":"InternalServerError","message":"try again"}`)
			return
		}
		io.WriteString(w, `{"Parameters":[{"Name":"/aws/service/x","Value":"ami-0123456789abcdef0"}],"InvalidParameters":[]}`)
	}))
	t.Cleanup(server.Close)
	p := newTestProvider(t, server.URL)

	got, err := p.ImageParameter(t.Context(), "/aws/service/x")
	if err != nil {
		t.Fatalf("ImageParameter after a server error: %v", err)
	}
	if got != "ami-0123456789abcdef0" {
		t.Errorf("ImageParameter = %q, want ami-0123456789abcdef0", got)
	}
	if calls != 2 {
		t.Errorf("%d calls, want 2", calls)
	}
}

func TestImageParameterNamesAccessDenied(t *testing.T) {
	calls := 0
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"com.amazonaws.ssm#AccessDeniedException","message":"not authorized to perform ssm:GetParameters"}`)
	}))
	t.Cleanup(server.Close)
	p := newTestProvider(t, server.URL)

	_, err := p.ImageParameter(t.Context(), "/aws/service/x")
	if got := workflow.NameOf(err); got != workflow.ErrPermissionDenied {
		t.Errorf("error %v is named %q, want %s", err, got, workflow.ErrPermissionDenied)
	}
	if !strings.Contains(err.Error(), "AccessDeniedException: not authorized to perform ssm:GetParameters") {
		t.Errorf("error %q lacks the code and message", err)
	}
	if calls != 1 {
		t.Errorf("%d calls, want 1: access denied is not retried", calls)
	}
}
