#!/usr/bin/env bash
# Every test suite, after installing what the tests need from Debian.
# As root (CI), a missing dependency is an error; without root the
# dependent tests say why they are skipped and the rest still run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
bash scripts/install-editor-deps.sh
npm test

# The libvirt 12.8 referee (docs/referee.md): started once for its suites and
# stopped by its recorded PIDs however this script ends. Where the machine
# cannot run it (exit 77), the suites skip and say why.
referee_rc=0
bash scripts/referee.sh start >/dev/null || referee_rc=$?
trap 'bash scripts/referee.sh stop' EXIT
if [ "$referee_rc" = 77 ]; then
  echo "test-all: the libvirt referee cannot run here; its suites will skip"
fi
node --import tsx --test --test-concurrency=1 test/referee/*.test.ts

if [ "$(id -u)" != 0 ]; then
  # e2e/setup.sh needs apt-get as root for Chromium; say so instead of failing.
  export E2E_OPTIONAL=1
fi
npm run test:e2e
