package healthprobe

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHTTPGetStatus(t *testing.T) {
	var gotPath, gotAgent string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAgent = r.URL.Path, r.UserAgent()
		switch r.URL.Path {
		case "/moved":
			w.WriteHeader(http.StatusFound)
		case "/broken":
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer server.Close()
	host := strings.TrimPrefix(server.URL, "http://")

	tests := []struct {
		path    string
		wantErr bool
	}{
		{"/", false},
		{"/moved", false},
		{"/broken", true},
	}
	for _, tt := range tests {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))

		err = HTTPGet(conn, host, tt.path, "TestChecker/1.0")
		conn.Close()

		if (err != nil) != tt.wantErr {
			t.Errorf("HTTPGet(%s) error = %v, want error %t", tt.path, err, tt.wantErr)
		}
		if gotPath != tt.path {
			t.Errorf("server saw path %q, want %q", gotPath, tt.path)
		}
		if gotAgent != "TestChecker/1.0" {
			t.Errorf("server saw User-Agent %q, want TestChecker/1.0", gotAgent)
		}
	}
}
