#!/usr/bin/env bash
# Every test suite, after installing what the tests need from Debian.
# As root (CI), a missing dependency is an error; without root the
# dependent tests say why they are skipped and the rest still run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
bash scripts/install-editor-deps.sh
npm test
if [ "$(id -u)" != 0 ]; then
  # e2e/setup.sh needs apt-get as root for Chromium; say so instead of failing.
  export E2E_OPTIONAL=1
fi
npm run test:e2e
