#!/usr/bin/env bash
# Installs the Debian packages the test suite needs:
#   libvirt0         ships libvirt's RelaxNG schemas in /usr/share/libvirt/schemas
#   libxml2-utils    ships xmllint, the reference verdict the tests compare against
#   libvirt-clients  ships virsh, whose built-in test driver (test:///default)
#                    the libvirt connection tests run against
# Idempotent and quick when both are present. It never fails the build: when
# it cannot install (not root, no apt-get, no network) it says why and the
# schema tests report themselves as skipped.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
# The libvirt schemas the extension ships (grammar completion and validation without libvirt installed).
bash "$(dirname "${BASH_SOURCE[0]}")/fetch-schemas.sh"

SCHEMA=/usr/share/libvirt/schemas/domain.rng
want=()
[ -r "$SCHEMA" ] || want+=(libvirt0)
command -v xmllint >/dev/null 2>&1 || want+=(libxml2-utils)
command -v virsh >/dev/null 2>&1 || want+=(libvirt-clients)

if [ ${#want[@]} -eq 0 ]; then
  echo "install-test-deps: libvirt schemas, xmllint and virsh already present"
  exit 0
fi

if apt_install install-test-deps "schema and virsh tests will be skipped" "${want[@]}"; then
  [ -r "$SCHEMA" ] && echo "install-test-deps: schemas in $(dirname "$SCHEMA")"
  command -v xmllint >/dev/null 2>&1 && echo "install-test-deps: $(xmllint --version 2>&1 | head -n1)"
  command -v virsh >/dev/null 2>&1 && echo "install-test-deps: virsh $(virsh --version 2>&1)"
fi
exit 0
