#!/usr/bin/env bash
# Installs Neovim, the editor the LSP interoperability test drives
# (test/neovim.test.ts runs `nvim --headless` against dist/server.js).
# Idempotent and quick when nvim is already there. It never fails the build:
# when it cannot install (no apt-get, not root, no network) it says why and
# the Neovim test reports itself as skipped.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

if command -v nvim >/dev/null 2>&1; then
  echo "install-editor-deps: $(nvim --version 2>/dev/null | head -n1) already present"
  exit 0
fi

if apt_install install-editor-deps "the Neovim test will be skipped" neovim; then
  command -v nvim >/dev/null 2>&1 && echo "install-editor-deps: $(nvim --version | head -n1)"
fi
exit 0
