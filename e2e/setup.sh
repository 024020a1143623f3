#!/usr/bin/env bash
# Installs what the end-to-end suite needs, and nothing the extension itself
# depends on:
#   - Debian packages: chromium (the browser Playwright drives), ripgrep (VS
#     Code's search binary, normally downloaded by a postinstall step that
#     cannot reach the network here) and the headers code-server's native
#     modules are rebuilt against;
#   - e2e/node_modules: code-server (which ships VS Code) and playwright-core.
# code-server's own postinstall downloads nothing we could not get elsewhere,
# but @vscode/ripgrep's does, so every install runs with --ignore-scripts and
# the steps of code-server's postinstall.sh are done here by hand.
#
# Idempotent: a stamp in e2e/node_modules records that a complete install of
# this package.json and this script finished; with it, setup takes a second.
# Exit status: 0 ready, 1 failed (the reason is on stderr). With
# E2E_OPTIONAL=1 a failure prints "SKIPPED: reason" and exits 0 instead;
# run.mjs then finds the install incomplete and skips the suite too.
set -euo pipefail

cd "$(dirname "$0")"
E2E_DIR=$(pwd)
CS="$E2E_DIR/node_modules/code-server"
VS="$CS/lib/vscode"
STAMP="$E2E_DIR/node_modules/.e2e-setup-stamp"
say() { echo "e2e-setup: $*"; }
fail() {
  if [ "${E2E_OPTIONAL:-}" = 1 ]; then echo "e2e-setup: SKIPPED: $* (E2E_OPTIONAL=1)"; exit 0; fi
  echo "e2e-setup: FAILED: $*" >&2
  exit 1
}

# --- Debian packages --------------------------------------------------------
APT_PACKAGES=(chromium ripgrep libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || fail "apt-get not available; cannot install ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || fail "not root; cannot install ${missing[*]}"
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || fail "apt-get install ${missing[*]} failed"
fi
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing after install"
command -v rg >/dev/null 2>&1 || fail "ripgrep (rg) is missing after install"

# --- node packages ----------------------------------------------------------
want_stamp=$(cat package.json package-lock.json setup.sh | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_stamp" ] && [ -e "$VS/node_modules.asar" ]; then
  say "code-server $(node -p "require('$CS/package.json').version") and playwright-core already installed"
  exit 0
fi
rm -f "$STAMP"

major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" = 20 ] || fail "code-server 4.100.3 needs Node 20 (this is $(node --version))"

say "installing code-server and playwright-core into e2e/node_modules"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error || fail "npm ci in e2e/ failed"
# code-server's password hashing module; loaded at start even with --auth none.
npm rebuild argon2 --loglevel=error || fail "npm rebuild argon2 failed"

say "installing VS Code's own modules"
(cd "$VS" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) || fail "npm install in lib/vscode failed"
# Native modules VS Code's server loads; built from source against Node 20.
(cd "$VS" && npm_config_yes=true npm rebuild @parcel/watcher @vscode/deviceid @vscode/spdlog kerberos native-watchdog node-pty --loglevel=error) \
  || fail "rebuilding VS Code's native modules failed"
# @vscode/ripgrep's postinstall would download rg; Debian's does the same job.
mkdir -p "$VS/node_modules/@vscode/ripgrep/bin"
cp "$(command -v rg)" "$VS/node_modules/@vscode/ripgrep/bin/rg"

# The three links code-server's postinstall.sh makes.
ln -sfn node_modules "$VS/node_modules.asar"
ln -sfn code-linux.sh "$VS/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$VS/bin/helpers/browser.sh"

say "installing VS Code's built-in extensions' modules"
(cd "$VS/extensions" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) || fail "npm install in lib/vscode/extensions failed"

# A smoke test before the stamp: code-server must start far enough to print its version.
node "$CS/out/node/entry.js" --version >/dev/null 2>&1 || fail "code-server does not start: $(node "$CS/out/node/entry.js" --version 2>&1 | grep -m1 -i error)"

echo "$want_stamp" > "$STAMP"
say "ready: code-server $(node -p "require('$CS/package.json').version"), playwright-core $(node -p "require('$E2E_DIR/node_modules/playwright-core/package.json').version"), $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
