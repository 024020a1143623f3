#!/usr/bin/env bash
# Fetches the RelaxNG schemas of the libvirt release the extension ships
# (libvirt-schemas/RELEASE says which) into libvirt-schemas/, with libvirt's
# licence next to them. The repository holds this script, not the schemas:
# they come from Debian unstable's package libvirt-common, reached with apt
# using a private state directory (nothing of the machine's apt setup is
# read or changed). The unstable Release file in the archive is often past
# its Valid-Until date, hence Acquire::Check-Valid-Until=false.
#
# Run by the build (scripts/build.mjs), packaging and test setup. Quick when
# the folder already holds that release. Never fails the build: without
# apt-get or network it says so and the extension falls back to the schemas
# installed on the machine at run time.
#
#   bash scripts/fetch-schemas.sh [--force] [--quiet]
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RELEASE=12.8.0
OUT=libvirt-schemas
force=0 quiet=0
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --quiet) quiet=1 ;;
    *) echo "fetch-schemas: unknown option $a" >&2; exit 2 ;;
  esac
done
say() { echo "fetch-schemas: $*" >&2; }

if [ $force = 0 ] && [ -r "$OUT/domain.rng" ] && [ "$(cat "$OUT/RELEASE" 2>/dev/null)" = "$RELEASE" ]; then
  [ $quiet = 1 ] || say "libvirt $RELEASE schemas already in $OUT/"
  exit 0
fi

offline() {
  say "could not fetch libvirt $RELEASE's schemas ($1); the build goes on without them:"
  say "  the extension and the CLI then use the schemas of the libvirt installed where they run."
  exit 0
}
command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || offline "apt-get and dpkg-deb are needed"

D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
mkdir -p "$D/lists/partial" "$D/cache/archives/partial" "$D/x"
echo "deb http://deb.debian.org/debian sid main" >"$D/sources.list"
O=(-o "Dir::Etc::SourceList=$D/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$D/lists"
   -o "Dir::Cache=$D/cache" -o Acquire::Check-Valid-Until=false -o Acquire::Languages=none -o Acquire::PDiffs=false
   -o Acquire::Retries=0 -o Acquire::http::Timeout=30 -o Debug::NoLocking=1)

say "fetching libvirt $RELEASE's schemas from Debian unstable (libvirt-common)..."
apt-get "${O[@]}" update >"$D/update.log" 2>&1 || offline "apt-get update failed: $(grep -m1 -E '^(E|W):' "$D/update.log")"
# The newest Debian revision of that upstream release (12.8.0-1, 12.8.0-2, ...).
version=$(apt-cache "${O[@]}" madison libvirt-common | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -E "^$RELEASE-" | head -n1)
[ -n "$version" ] || offline "Debian unstable no longer has libvirt-common $RELEASE"
(cd "$D" && apt-get "${O[@]}" download "libvirt-common=$version" >"$D/download.log" 2>&1) ||
  offline "apt-get download failed: $(grep -m1 -E '^(E|W):' "$D/download.log")"
dpkg-deb -x "$D"/libvirt-common_*.deb "$D/x" || offline "the package could not be unpacked"

S="$D/x/usr/share/libvirt/schemas"
[ -r "$S/domain.rng" ] || offline "the package holds no domain.rng"
NEW="$D/out"
mkdir -p "$NEW"
cp "$S"/*.rng "$NEW/"
cp "$D/x/usr/share/doc/libvirt-common/copyright" "$NEW/copyright"
# Debian's copyright file names the licence (LGPL-2.1+) and points at the system copy of its text.
[ -r /usr/share/common-licenses/LGPL-2.1 ] && cp /usr/share/common-licenses/LGPL-2.1 "$NEW/LGPL-2.1"
echo "$RELEASE" >"$NEW/RELEASE"
cat >"$NEW/README" <<EOF
libvirt $RELEASE's RelaxNG schemas, unchanged, from Debian's package
libvirt-common $version (usr/share/libvirt/schemas).

libvirt is Copyright Red Hat, Inc. and others, licensed under the GNU Lesser
General Public License, version 2.1 or later (LGPL-2.1-or-later); see
copyright (Debian's summary of the package's licences) and LGPL-2.1.
Source: https://gitlab.com/libvirt/libvirt/ (tag v$RELEASE).
EOF
rm -rf "$OUT.tmp" && mv "$NEW" "$OUT.tmp" && rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
say "libvirt $RELEASE schemas ($(ls "$OUT"/*.rng | wc -l) files, from libvirt-common $version) in $OUT/"
