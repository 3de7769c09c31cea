package proxy

// startupScriptDebian is the Compute Engine boot script. Unlike cloud-init
// user data, the startup-script metadata runs on every boot, so each step
// is safe to repeat. Docker is installed only when missing, and the
// container is replaced with one that uses the new configuration.
var startupScriptDebian = bootScript{
	name: "startup script",
	comment: `# Startup script of the repolink proxy VM (Debian or Ubuntu on Compute
# Engine): runs nginx in Docker as an SNI passthrough proxy to the package
# index.
`,
	installDocker: `    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q docker.io
`,
}

// StartupScriptDebian returns the Compute Engine startup script for a
// Debian or Ubuntu image that installs Docker, writes the nginx config for
// c and runs nginx with host networking. Like UserDataAL2023 it embeds c
// after defaults as one JSON comment line, which ParseUserData reads back.
func StartupScriptDebian(c Config) (string, error) {
	return startupScriptDebian.render(c)
}
