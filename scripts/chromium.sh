#!/usr/bin/env bash
# The headless Chromium that the browser tests drive (through Playwright, whose own browser
# download cannot work here). Installs the system package when it is missing:
#   scripts/chromium.sh       # prints `export EVENTGOLD_CHROMIUM=/usr/bin/chromium` to eval
# As root with apt-get (CI on a fresh Debian machine) it runs apt-get update + install; else it
# says what to install. Does nothing if EVENTGOLD_CHROMIUM already names a browser.
# stdout carries only the export line; everything for people goes to stderr.
set -euo pipefail

say() { echo "chromium.sh: $*" >&2; }

if [ -n "${EVENTGOLD_CHROMIUM:-}" ] && [ -x "$EVENTGOLD_CHROMIUM" ]; then
  echo "export EVENTGOLD_CHROMIUM=$EVENTGOLD_CHROMIUM"
  exit 0
fi

find_browser() {
  local name
  for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

if ! found="$(find_browser)"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Chromium from the system packages (first run only)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || { say "ERROR: apt-get update failed"; exit 1; }
    apt-get install -y -qq chromium </dev/null >&2 || { say "ERROR: apt-get install chromium failed"; exit 1; }
    found="$(find_browser)" || { say "ERROR: chromium installed but not found on PATH"; exit 1; }
  else
    say "ERROR: no Chromium found; install the 'chromium' package (as root with apt-get this script does it) or set EVENTGOLD_CHROMIUM=/path/to/chromium"
    exit 1
  fi
fi
say "using $found"
echo "export EVENTGOLD_CHROMIUM=$found"
