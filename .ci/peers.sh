#!/usr/bin/env bash
# Installs the real third-party peers the `peers` test suite (tests/peers) drives, as described
# in PEERS.md: Go (scrape target and `go tool pprof` validator) and protoc from apt, then under
# target/peers/ (git-ignored, or $FERROALLOY_PEERS_DIR):
#   py14/      venv with pyroscope-io 1.4.0   (Connect Push client)
#   py08/      venv with pyroscope-io 0.8.16  (legacy /ingest client)
#   node064/   npm prefix with @pyroscope/nodejs 0.6.4 and express 4 (/ingest client, pull target)
#   node0413/  npm prefix with @pyroscope/nodejs 0.4.13 (/ingest multipart client)
#   pproftarget  the stdlib-only Go scrape target of tests/peers/fixtures/pproftarget.go
#
# Idempotent: every step checks what is already there (exact versions) and skips it, so a second
# run takes seconds. Versions are pinned exactly.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
P=${FERROALLOY_PEERS_DIR:-$ROOT/target/peers}
FIXTURES=$ROOT/tests/peers/fixtures

PY14_VERSION=1.4.0
PY08_VERSION=0.8.16
NODE064_VERSION=0.6.4
NODE0413_VERSION=0.4.13
EXPRESS_VERSION=4.22.3

say() { echo "peers: $*"; }

SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

# --- apt: go and protoc ----------------------------------------------------------------------
missing=()
command -v go >/dev/null 2>&1 || missing+=(golang-go)
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
else
  say "go and protoc already installed"
fi
say "$(go version)"
say "$(protoc --version)"
for tool in python3 node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "peers: $tool is required and missing" >&2; exit 1; }
done

mkdir -p "$P"

# --- Python venvs ----------------------------------------------------------------------------
# venv DIR VERSION: a venv in $P/DIR with pyroscope-io==VERSION.
venv() {
  local dir=$P/$1 version=$2 have=""
  if [ -x "$dir/bin/python" ]; then
    have=$("$dir/bin/python" -c 'import importlib.metadata as m; print(m.version("pyroscope-io"))' 2>/dev/null || true)
  fi
  if [ "$have" = "$version" ]; then
    say "$1: pyroscope-io $version already installed"
    return
  fi
  say "$1: python3 -m venv && pip install pyroscope-io==$version"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check "pyroscope-io==$version"
}
venv py14 "$PY14_VERSION"
venv py08 "$PY08_VERSION"

# --- npm prefixes ----------------------------------------------------------------------------
# npm_version DIR PACKAGE: the installed version of PACKAGE under $P/DIR, empty when absent.
npm_version() {
  local manifest=$P/$1/node_modules/$2/package.json
  [ -f "$manifest" ] && node -p "require(process.argv[1]).version" "$manifest" 2>/dev/null || true
}
# npm_prefix DIR PACKAGE@VERSION...: install the exact versions into $P/DIR unless all present.
npm_prefix() {
  local dir=$1 ok=1 spec
  shift
  for spec in "$@"; do
    [ "$(npm_version "$dir" "${spec%@*}")" = "${spec##*@}" ] || ok=0
  done
  if [ "$ok" = 1 ]; then
    say "$dir: $* already installed"
    return
  fi
  say "$dir: npm install $*"
  rm -rf "${P:?}/$dir"
  mkdir -p "$P/$dir"
  npm install --prefix "$P/$dir" --no-audit --no-fund --save-exact --loglevel=error "$@"
}
npm_prefix node064 "@pyroscope/nodejs@$NODE064_VERSION" "express@$EXPRESS_VERSION"
npm_prefix node0413 "@pyroscope/nodejs@$NODE0413_VERSION"

# --- Go scrape target ------------------------------------------------------------------------
if [ -x "$P/pproftarget" ] && [ "$P/pproftarget" -nt "$FIXTURES/pproftarget.go" ]; then
  say "pproftarget already built"
else
  say "go build pproftarget (GOPROXY=off GOFLAGS=-mod=mod)"
  GOPROXY=off GOFLAGS=-mod=mod go build -o "$P/pproftarget" "$FIXTURES/pproftarget.go"
fi

say "ready in $P"
