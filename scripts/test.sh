#!/usr/bin/env bash
# The one test command (README, .ci/run): sets everything up, checks the
# committed guest is current, then runs every suite: unit and conformance in
# Node (in-thread and worker_threads), conformance in a real Web Worker in
# Chromium, the demo's end-to-end tests, and CPython's own tests in the guest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
node guest/check-manifest.mjs
npx -y pnpm@10.34.9 exec vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json
npx -y pnpm@10.34.9 exec playwright test -c e2e/playwright.config.ts
# CPython's own regression tests inside the guest (test/cpython/run.mjs).
npx -y pnpm@10.34.9 run --silent guest:test --json test-results/cpython.json
node scripts/test-summary.mjs
