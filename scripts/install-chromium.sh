#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser test (playwright-core drives it; no
# browser is ever downloaded from anywhere but Debian's packages). Skipped when the browser
# already runs (/usr/bin/chromium, or CONTRAIL_CHROMIUM_PATH). The version is pinned where apt
# still offers it; Debian's security archive keeps only the newest build, so when the pin is
# gone the current package is installed instead and the script says so.
set -euo pipefail
CHROMIUM_VERSION=156.0.8078.108-1~deb12u1
path="${CONTRAIL_CHROMIUM_PATH:-/usr/bin/chromium}"

# The Debian launcher script prints a harmless shell warning on stderr; only the exit code counts.
if version="$("$path" --version 2>/dev/null)"; then
  echo "chromium: $version ($path)"; exit 0
fi
if [ -n "${CONTRAIL_CHROMIUM_PATH:-}" ]; then
  echo "chromium: CONTRAIL_CHROMIUM_PATH=$path does not run" >&2; exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "chromium: no apt-get here; install Chromium and set CONTRAIL_CHROMIUM_PATH to it" >&2; exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "chromium: installing Debian's chromium package"
$sudo apt-get update -q >/dev/null
if apt-cache madison chromium | grep -qF "$CHROMIUM_VERSION"; then
  $sudo apt-get install -y -q --no-install-recommends "chromium=$CHROMIUM_VERSION" "chromium-common=$CHROMIUM_VERSION" >/dev/null
else
  echo "chromium: $CHROMIUM_VERSION is no longer offered; installing the current chromium package" >&2
  $sudo apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
echo "chromium: $("$path" --version 2>/dev/null) ($path)"
