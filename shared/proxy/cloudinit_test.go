package proxy

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// cloudConfig is the part of a cloud-config document that the proxy VM
// uses.
type cloudConfig struct {
	Packages   []string `json:"packages"`
	WriteFiles []struct {
		Path        string `json:"path"`
		Permissions string `json:"permissions"`
		Content     string `json:"content"`
	} `json:"write_files"`
	RunCmd [][]string `json:"runcmd"`
}

func parseCloudConfig(t *testing.T, doc string) cloudConfig {
	t.Helper()
	if !strings.HasPrefix(doc, "#cloud-config\n") {
		t.Fatalf("document does not start with #cloud-config:\n%s", doc)
	}
	var cfg cloudConfig
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatalf("cloud-config is not valid YAML: %v\n%s", err, doc)
	}
	return cfg
}

func TestCloudInitRoundTrip(t *testing.T) {
	for _, tc := range goldenCases {
		doc, err := CloudInit(tc.config)
		if err != nil {
			t.Fatalf("%s: CloudInit: %v", tc.name, err)
		}
		got, err := ParseUserData(doc)
		if err != nil {
			t.Fatalf("%s: ParseUserData: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.config.WithDefaults(), got); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestCloudInitWritesRenderedConfig(t *testing.T) {
	for _, tc := range goldenCases {
		doc, err := CloudInit(tc.config)
		if err != nil {
			t.Fatalf("%s: CloudInit: %v", tc.name, err)
		}
		cfg := parseCloudConfig(t, doc)
		if diff := cmp.Diff([]string{"docker.io"}, cfg.Packages); diff != "" {
			t.Errorf("%s: packages (-want +got):\n%s", tc.name, diff)
		}
		if len(cfg.WriteFiles) != 2 {
			t.Fatalf("%s: write_files has %d entries, want 2", tc.name, len(cfg.WriteFiles))
		}

		want, err := RenderNginx(tc.config.WithDefaults())
		if err != nil {
			t.Fatal(err)
		}
		conf := cfg.WriteFiles[0]
		if conf.Path != "/etc/repolink-proxy/nginx.conf.new" {
			t.Errorf("%s: first file is %s", tc.name, conf.Path)
		}
		if diff := cmp.Diff(strings.TrimRight(want, "\n")+"\n", conf.Content); diff != "" {
			t.Errorf("%s: nginx.conf content (-want +got):\n%s", tc.name, diff)
		}

		start := cfg.WriteFiles[1]
		if start.Permissions != "0755" {
			t.Errorf("%s: start script permissions %q, want 0755", tc.name, start.Permissions)
		}
		if diff := cmp.Diff([][]string{{start.Path}}, cfg.RunCmd); diff != "" {
			t.Errorf("%s: runcmd (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestCloudInitStartScriptIsValidBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skipf("skipping: bash not found: %v", err)
	}
	for _, tc := range goldenCases {
		doc, err := CloudInit(tc.config)
		if err != nil {
			t.Fatal(err)
		}
		script := parseCloudConfig(t, doc).WriteFiles[1].Content
		if !strings.Contains(script, tc.config.WithDefaults().Image) {
			t.Errorf("%s: start script does not name the image", tc.name)
		}
		cmd := exec.CommandContext(t.Context(), bash, "-n")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: bash -n: %v\n%s", tc.name, err, out)
		}
	}
}
