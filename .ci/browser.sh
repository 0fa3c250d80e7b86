#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the browser tests (tests/browser). Idempotent:
# does nothing when `chromium` (or $CHROMIUM) is already there. Uses sudo when not root.
set -euo pipefail

CHROMIUM_BIN="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM_BIN" ] || command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "browser.sh: not root and no sudo; cannot install chromium" >&2
    exit 1
  fi
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
  chromium fonts-dejavu-core
command -v chromium
