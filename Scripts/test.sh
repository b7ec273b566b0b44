#!/usr/bin/env bash
# The test command (README, CI): installs what the build needs, then builds and runs the whole
# suite. The suite uses only committed fixtures; it needs neither Python nor the shared datasets
# (a few tests also read the datasets under ../shared/data, next to the repository, or
# $LRP_IMAGENETTE, when present, and skip otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
Scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
