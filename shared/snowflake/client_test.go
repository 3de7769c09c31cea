package snowflake

import (
	"context"
	"net"
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// gosnowflake probes cloud metadata addresses on connect unless this is set.
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	os.Exit(m.Run())
}

func TestOpenUnreachableFailsFast(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	listener.Close()

	start := time.Now()
	_, err = Open(context.Background(), Config{
		Account: "myorg-acct1", User: "u", Password: "p",
		Host: "127.0.0.1", Port: port, Protocol: "http",
		LoginTimeout: 2 * time.Second, RequestTimeout: 2 * time.Second,
	})
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	if !IsTransient(err) {
		t.Errorf("IsTransient(%v) = false, want true", err)
	}
	if elapsed > 10*time.Second {
		t.Errorf("Open took %v, want it bounded by the login timeout", elapsed)
	}
	t.Logf("Open failed after %v: %v", elapsed, err)
}
