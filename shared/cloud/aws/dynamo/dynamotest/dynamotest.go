// Package dynamotest starts a local DynamoDB for tests: dynalite, an
// implementation of the DynamoDB API on Node.js, which make test installs
// into .tools/node at the module root. Tests that need it skip when Node.js
// or dynalite is missing, as with a bare go test on a fresh checkout.
package dynamotest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// launcher runs one Node.js process per test binary, which starts a
// separate in-memory dynalite for each "start" line on its standard input
// and prints "port <n>" once that instance listens on a loopback port. A
// "stop <n>" line closes the instance on port n and prints "stopped <n>"
// once it no longer accepts connections. The process exits when its
// standard input closes, so that dynalite never outlives the test binary.
// Starting Node.js once instead of once a test saves a few hundred
// milliseconds per test, and every test still gets an empty database.
const launcher = `
const dynalite = require(process.argv[1]);
const servers = new Map();
const lines = require("readline").createInterface({input: process.stdin});
lines.on("line", (line) => {
  const [command, port] = line.split(" ");
  if (command === "start") {
    const server = dynalite({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0});
    server.listen(0, "127.0.0.1", () => {
      servers.set(String(server.address().port), server);
      console.log("port " + server.address().port);
    });
  } else if (command === "stop") {
    const server = servers.get(port);
    servers.delete(port);
    if (server) {
      server.close(() => {});
      server.closeAllConnections();
    }
    console.log("stopped " + port);
  }
});
lines.on("close", () => process.exit(0));
`

// Server is a running dynalite.
type Server struct {
	// Endpoint is the base URL, such as "http://127.0.0.1:41234".
	Endpoint string
}

// Start starts an empty dynalite for the test and stops it at cleanup. It
// skips the test when Node.js or dynalite is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("skipping: node is not on PATH; install Node.js to run the DynamoDB tests")
	}
	module, err := dynaliteDir()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}

	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.err == nil && shared.stdin == nil {
		shared.err = shared.launch(node, module)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	port, err := shared.start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := shared.stop(port); err != nil {
			t.Error(err)
		}
	})
	return &Server{Endpoint: "http://127.0.0.1:" + port}
}

// shared is the Node.js process that runs every dynalite of the test
// binary. Its mutex keeps each "start" line paired with its reply.
var shared launcherProcess

type launcherProcess struct {
	mu     sync.Mutex
	stdin  io.WriteCloser
	stdout *bufio.Reader
	// err is the error that kept the process from starting, reported to
	// every test.
	err error
}

func (p *launcherProcess) launch(node, module string) error {
	cmd := exec.Command(node, "-e", launcher, module)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("dynalite stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("dynalite stdout: %w", err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start dynalite: %w", err)
	}
	// The process exits when the test binary exits and closes its stdin.
	go cmd.Wait()
	p.stdin = stdin
	p.stdout = bufio.NewReader(stdout)
	return nil
}

// start starts one dynalite and returns its port. The caller holds p.mu.
func (p *launcherProcess) start() (string, error) {
	if _, err := io.WriteString(p.stdin, "start\n"); err != nil {
		return "", fmt.Errorf("start dynalite: %w", err)
	}
	line, err := p.stdout.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("read dynalite port: %w", err)
	}
	port, ok := strings.CutPrefix(strings.TrimSpace(line), "port ")
	if !ok {
		return "", fmt.Errorf("dynalite printed %q, want \"port <n>\"", line)
	}
	return port, nil
}

func (p *launcherProcess) stop(port string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.stdin, "stop "+port+"\n"); err != nil {
		return fmt.Errorf("stop dynalite on port %s: %w", port, err)
	}
	line, err := p.stdout.ReadString('\n')
	if err != nil {
		return fmt.Errorf("stop dynalite on port %s: %w", port, err)
	}
	if got := strings.TrimSpace(line); got != "stopped "+port {
		return fmt.Errorf("dynalite printed %q, want \"stopped %s\"", line, port)
	}
	return nil
}

// dynaliteDir finds .tools/node/node_modules/dynalite in the module root
// above the working directory.
func dynaliteDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			module := filepath.Join(dir, ".tools", "node", "node_modules", "dynalite")
			if _, err := os.Stat(filepath.Join(module, "index.js")); err != nil {
				return "", fmt.Errorf("dynalite is not installed; run npm install --prefix .tools/node dynalite in the module root")
			}
			return module, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Client returns a DynamoDB client for the server with dummy credentials and
// no retries, so that a failing call fails the test at once.
func (s *Server) Client() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.Endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		RetryMaxAttempts: 1,
	})
}

// CreateTable creates a table with the layout the deployment uses: string
// keys pk and sk, on-demand billing. It returns once the table is active.
func (s *Server) CreateTable(t testing.TB, name string) {
	t.Helper()
	ctx := context.Background()
	client := s.Client()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}

	// dynalite runs with createTableMs 0, so the table turns active on its
	// next event-loop turn. The bound only guards against a stuck server.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatalf("describe table %s: %v", name, err)
		}
		if out.Table.TableStatus == types.TableStatusActive {
			return
		}
	}
	t.Fatalf("table %s is not active after 10s", name)
}
