#!/usr/bin/env bash
# `npm run demo` (dev server), `npm run demo:build` (static files in
# dist-demo/) and `npm run demo:preview` (serves them). Works on a fresh
# machine: setup.sh brings pnpm in through npx (no global pnpm needed),
# installs and builds the packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
vite() { npx -y pnpm@10.34.9 exec vite "$@"; }
case "${1:-dev}" in
  dev) shift || true; vite "$@" ;;
  build)
    vite build --logLevel warn
    echo "demo: static files in dist-demo/ (serve them from any static server; with COOP/COEP headers Stop interrupts Python at once)"
    ;;
  preview) shift; vite build --logLevel warn && vite preview "$@" ;;
  *) echo "usage: scripts/demo.sh [dev|build|preview] [vite options]" >&2; exit 2 ;;
esac
