#!/usr/bin/env bash
# Install a Debian package when its command is missing: ensure-tool.sh COMMAND [PACKAGE].
# Used for Chromium (browser tests) and wrk (benchmarks). Needs root and apt-get.
set -euo pipefail
command_name=$1
package=${2:-$1}
if command -v "$command_name" >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's $package..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
else
    echo "$command_name is missing and cannot be installed here (needs root and apt-get);" \
         "what needs it will skip (or fail in CI)." >&2
fi
