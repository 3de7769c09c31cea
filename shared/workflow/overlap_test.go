package workflow

import "testing"

func TestRequestID(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"execution input", `{"request":{"id":"DATA-1","repository":{}},"resources":{}}`, "DATA-1"},
		{"no request", `{"resources":{}}`, ""},
		{"request without ID", `{"request":{}}`, ""},
		{"ID not a string", `{"request":{"id":7}}`, ""},
		{"not JSON", `request DATA-1`, ""},
		{"empty", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RequestID([]byte(tt.input)); got != tt.want {
				t.Errorf("RequestID(%q) = %q, want %q", tt.input, got, tt.want)
			}
		})
	}
}

func TestWaitOrStopAdvice(t *testing.T) {
	tests := []struct {
		name string
		stop string
		want string
	}{
		{"with command", "'repolink stop DATA-1'", "Wait for execution DATA-1 to close, or stop it with 'repolink stop DATA-1'"},
		{"without command", "", "Wait for execution DATA-1 to close, or stop it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WaitOrStopAdvice("DATA-1", tt.stop); got != tt.want {
				t.Errorf("WaitOrStopAdvice(%q, %q) = %q, want %q", "DATA-1", tt.stop, got, tt.want)
			}
		})
	}
}
