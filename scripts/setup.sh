#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine: pnpm (pinned,
# through npx: corepack cannot verify signatures here), the workspace's
# packages, and, with --browser, Debian's Chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
pnpm() { npx -y "pnpm@${PNPM_VERSION}" "$@"; }

if [[ " $* " == *" --browser "* ]] && [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian's chromium (Playwright's own browser download does not work here)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

echo "setup: pnpm ${PNPM_VERSION} install"
pnpm install --frozen-lockfile --reporter=silent
echo "setup: build"
pnpm run --silent build
