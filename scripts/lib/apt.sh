# Shared by scripts/install-*-deps.sh (sourced, not run): installs Debian
# packages the tests need, or says why it cannot. The callers must never fail
# the build, so every way out here returns instead of exiting, and the caller
# decides what to print and always exits 0.

# apt_install TAG CONSEQUENCE PACKAGE...
#   TAG          prefix of every message (the calling script's name)
#   CONSEQUENCE  what happens without the packages, e.g. "schema tests will be skipped"
# Returns 0 once apt-get has installed the packages, 1 when it could not
# (no apt-get, not root, no network), after saying why.
apt_install() {
  local tag=$1 consequence=$2
  shift 2
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$tag: apt-get not available; not installing $* ($consequence)"
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "$tag: not root; not installing $* ($consequence)"
    return 1
  fi

  echo "$tag: installing $*"
  if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq; then
    echo "$tag: apt-get update failed; continuing without $*"
    return 1
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    echo "$tag: apt-get install $* failed; $consequence"
    return 1
  fi
  return 0
}
