#!/usr/bin/env bash
# Installs what the test suite needs beyond the build (Scripts/install-deps.sh), if missing:
# Debian's headless-capable Chromium and a font, for the report page test in a real browser
# (Tests/ComparisonTests/ReportBrowserTests.swift, docs/DESIGN.md §10.3). Needs root or sudo.
set -euo pipefail
"$(dirname "$0")/apt-install-missing.sh" "test dependencies" chromium fonts-dejavu-core
