#!/usr/bin/env bash
# The main job (README): set up, then run a programmatic-tool-calling example
# on the embedded default guest in Node.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node examples/ptc-node.mjs
