#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests when it is missing (needs root and apt).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
else
    echo "Chromium is missing and cannot be installed here (needs root and apt-get);" \
         "the browser tests will skip (or fail in CI)." >&2
fi
