#!/usr/bin/env bash
# Install Debian's Chromium for the browser test (tests/api_mirror/test_browser.py), which drives
# /usr/bin/chromium through Playwright: Playwright never downloads a browser of its own here.
# Idempotent: does nothing when /usr/bin/chromium exists.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "installing chromium (Debian package) for the browser test"
status=0
bash "$(dirname "$0")/apt-install.sh" chromium || status=$?
if [ "$status" -eq 127 ]; then
  echo "chromium is not installed and apt-get is unavailable: install Chromium at /usr/bin/chromium" >&2
  exit 1
fi
exit "$status"
