#!/usr/bin/env bash
# Installs the Debian packages the test suite needs for schema validation:
#   libvirt0       ships libvirt's RelaxNG schemas in /usr/share/libvirt/schemas
#   libxml2-utils  ships xmllint, the reference verdict the tests compare against
# Idempotent and quick when both are present. It never fails the build: when
# it cannot install (not root, no apt-get, no network) it says why and the
# schema tests report themselves as skipped.
set -u

SCHEMA=/usr/share/libvirt/schemas/domain.rng
want=()
[ -r "$SCHEMA" ] || want+=(libvirt0)
command -v xmllint >/dev/null 2>&1 || want+=(libxml2-utils)

if [ ${#want[@]} -eq 0 ]; then
  echo "install-test-deps: libvirt schemas and xmllint already present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: apt-get not available; not installing ${want[*]} (schema tests will be skipped)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: not root; not installing ${want[*]} (schema tests will be skipped)"
  exit 0
fi

echo "install-test-deps: installing ${want[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq; then
  echo "install-test-deps: apt-get update failed; continuing without ${want[*]}"
  exit 0
fi
if ! apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null; then
  echo "install-test-deps: apt-get install ${want[*]} failed; schema tests will be skipped"
  exit 0
fi
[ -r "$SCHEMA" ] && echo "install-test-deps: schemas in $(dirname "$SCHEMA")"
command -v xmllint >/dev/null 2>&1 && echo "install-test-deps: $(xmllint --version 2>&1 | head -n1)"
exit 0
