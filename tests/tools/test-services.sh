#!/usr/bin/env bash
# Makes ready what the container tests need: a Docker engine (started by
# hand, since no service manager runs here), Podman, and busybox-static for
# the test image. Installs with apt what is missing. Needs root; without it
# it says so and the container tests skip (or fail under CI=true). The export
# tests decode with python3-msgpack (a decoder independent of the sensor's) and
# drive `top` in tmux.
set -euo pipefail

packages=(docker.io podman busybox-static iptables python3-msgpack tmux)

if [ "$(id -u)" != 0 ]; then
	echo "test-services: not root: the kernel and container tests will skip" >&2
	exit 0
fi

missing=()
for package in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "  DEPS     installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# dockerd, unless one already answers
if ! docker info >/dev/null 2>&1; then
	echo "  START    dockerd (log: /var/log/dockerd.log)"
	setsid dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
	for _ in $(seq 1 60); do
		docker info >/dev/null 2>&1 && break
		sleep 0.5
	done
	docker info >/dev/null 2>&1 || { echo "test-services: dockerd did not start; see /var/log/dockerd.log" >&2; exit 1; }
fi
