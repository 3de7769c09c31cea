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
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// launcher listens on a free loopback port, prints it, and exits when its
// standard input closes, so that dynalite never outlives the test binary.
const launcher = `
const dynalite = require(process.argv[1]);
const server = dynalite({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0});
server.listen(0, "127.0.0.1", () => console.log("port " + server.address().port));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`

// Server is a running dynalite.
type Server struct {
	// Endpoint is the base URL, such as "http://127.0.0.1:41234".
	Endpoint string
}

// Start runs dynalite for the test and stops it at cleanup. It skips the
// test when Node.js or dynalite is not installed.
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

	cmd := exec.Command(node, "-e", launcher, module)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("dynalite stdin: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("dynalite stdout: %v", err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dynalite: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Logf("dynalite exited: %v", err)
		}
	})

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read dynalite port: %v", err)
	}
	port, ok := strings.CutPrefix(strings.TrimSpace(line), "port ")
	if !ok {
		t.Fatalf("dynalite printed %q, want \"port <n>\"", line)
	}
	return &Server{Endpoint: "http://127.0.0.1:" + port}
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
