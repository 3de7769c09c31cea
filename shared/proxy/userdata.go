package proxy

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
)

// userDataMarker starts the comment line that carries the Config as JSON.
const userDataMarker = "# repolink-proxy-config: "

// heredocEnd ends the here-document that writes nginx.conf. RenderNginx
// output never contains it, because every value in the file is validated.
const heredocEnd = "REPOLINK_NGINX_CONF_END"

// bootScript describes the parts of the proxy VM's shell boot script that
// differ between OS images. The commands that write the nginx config and
// replace the container are the same on every image.
type bootScript struct {
	// name is the script's name in error messages, such as "boot script".
	name string
	// comment is the comment block that follows the shebang line.
	comment string
	// installDocker is the commands that install Docker when the docker
	// command is missing.
	installDocker string
}

// userDataAL2023 is the boot script of Amazon Linux 2023. cloud-init runs
// user data once per instance, and after a reboot Docker starts the
// container again through its restart policy. Running the script again
// replaces the container with one that uses the new configuration.
var userDataAL2023 = bootScript{
	name: "boot script",
	comment: `# Boot script of the repolink proxy VM (Amazon Linux 2023): runs nginx in
# Docker as an SNI passthrough proxy to the package index.
`,
	installDocker: `    dnf install -y docker
`,
}

// render returns the script for c after defaults.
func (s bootScript) render(c Config) (string, error) {
	c = c.WithDefaults()
	conf, err := RenderNginx(c)
	if err != nil {
		return "", err
	}
	if strings.Contains(conf, heredocEnd) {
		return "", fmt.Errorf("render %s: nginx config contains %s", s.name, heredocEnd)
	}
	js, err := c.marshalJSON()
	if err != nil {
		return "", fmt.Errorf("render %s: %w", s.name, err)
	}

	var b strings.Builder
	s.write(&b, js, conf, c.Image)
	return b.String(), nil
}

func (s bootScript) write(b *strings.Builder, configJSON []byte, conf, image string) {
	b.WriteString("#!/bin/bash\n")
	b.WriteString(s.comment)
	writeConfigLine(b, configJSON)
	b.WriteString("set -euo pipefail\n\n")
	b.WriteString("if ! command -v docker >/dev/null 2>&1; then\n")
	b.WriteString(s.installDocker)
	b.WriteString("fi\nsystemctl enable --now docker\n\n")
	writeNginxHeredoc(b, conf)
	b.WriteString("\n")
	writePullImage(b, image)
	b.WriteString("\n# Check the new file with the same image before it replaces the running one.\n")
	writeReplaceContainer(b)
}

// UserDataAL2023 returns the Amazon Linux 2023 boot script that installs
// Docker, writes the nginx config for c and runs nginx with host
// networking. The script embeds c after defaults as one JSON comment line,
// which ParseUserData reads back.
func UserDataAL2023(c Config) (string, error) {
	return userDataAL2023.render(c)
}

// ParseUserData returns the Config embedded in a boot script made by
// UserDataAL2023, and validates it.
func ParseUserData(userData string) (Config, error) {
	sc := bufio.NewScanner(strings.NewReader(userData))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		js, ok := strings.CutPrefix(sc.Text(), userDataMarker)
		if !ok {
			continue
		}
		c, err := unmarshalConfig([]byte(js))
		if err != nil {
			return Config{}, fmt.Errorf("parse user data: %w", err)
		}
		if err := c.Validate(); err != nil {
			return Config{}, fmt.Errorf("parse user data: %w", err)
		}
		return c, nil
	}
	if err := sc.Err(); err != nil {
		return Config{}, fmt.Errorf("parse user data: %w", err)
	}
	return Config{}, errors.New("parse user data: no " + strings.TrimSpace(userDataMarker) + " line")
}
